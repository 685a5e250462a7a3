/**
 * Fewer e-conomic calls per order (issue 10, item 4): the customers of a queue batch in one filtered
 * look-up, master data kept across batches, and customerMode "collective". Batches run through the real
 * consumer (worker.queue) with real D1; e-conomic is the fake, counted per endpoint.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "../../../src/db/client";
import { cacheEntry } from "../../../src/db/bindings";
import { sha256Hex } from "../../../src/lib/crypto";
import { setOutboundFetch } from "../../../src/lib/outbound";
import { emailChunks, MASTER_TTL_MS, type MasterSnapshot } from "../../../src/modules/economic/adapter";
import worker from "../../../src/index";
import type { TransferMessage } from "../../../src/transfers/messages";
import { FakeEconomic, MAX_QUERY_STRING } from "../../fakes/economic";
import shopifyDk from "../../fixtures/shopify/own-dk-25-taxes-included-discount-shipping.json";
import { activate, call, createIntegration, createTenant, economicSettingsComplete } from "../../helpers";

const goods = { productGroupNumber: 1 };
const catalogue = ["MUG-01", "TEE-RED-M", "SHIP"].map((productNumber) => ({ productNumber, name: productNumber, salesPrice: 100, productGroup: goods }));
let fake: FakeEconomic;
beforeEach(() => {
  fake = new FakeEconomic({ products: catalogue });
  setOutboundFetch(fake.fetch);
});
afterEach(() => setOutboundFetch());

async function setup(accounting: Record<string, unknown> = {}) {
  const t = await createTenant();
  const i = await createIntegration(t.id, {
    shop: { module: "shopify", settings: { shopDomain: "demo-shop.myshopify.com", accessToken: "shpat", webhookSecret: "shp-secret" } },
    accounting: { module: "economic", settings: { ...economicSettingsComplete, ...accounting } },
  });
  await activate(i.id);
  return i as { id: string };
}

let orderId = 7_100_000;
const soon = () => new Date(Date.now() + 1000).toISOString();

/** A Shopify order of the fixture, by `email`; `company: null` makes it a private buyer. */
function shopifyOrder(email: string, opts: { company?: string | null; name?: string } = {}) {
  const id = ++orderId;
  const billing = { ...shopifyDk.billing_address, company: opts.company === undefined ? shopifyDk.billing_address.company : opts.company };
  if (opts.name) Object.assign(billing, { name: opts.name, first_name: opts.name.split(" ")[0], last_name: opts.name.split(" ").slice(1).join(" ") });
  if (billing.company === null) delete (billing as { company?: unknown }).company;
  return { ...shopifyDk, id, name: `#${id}`, order_number: id, email, customer: { ...shopifyDk.customer, email }, billing_address: billing, created_at: soon(), updated_at: soon() };
}

const delivery = (integrationId: string, order: unknown): TransferMessage => {
  const deliveryId = crypto.randomUUID();
  return { type: "delivery", integrationId, deliveryId, dedupeKey: `event:${deliveryId}`, topic: "orders/create", isUpdate: false, active: true, receivedAt: new Date().toISOString(), body: JSON.stringify(order) };
};

/** Runs the consumer on one batch, as the queue would; every message must be acknowledged. */
async function runBatch(bodies: TransferMessage[]) {
  const batch = createMessageBatch<TransferMessage>(
    "transfers",
    bodies.map((body, n) => ({ id: `m${n}-${crypto.randomUUID()}`, timestamp: new Date(), body, attempts: 1 })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  const result = await getQueueResult(batch, ctx);
  expect(result.retryMessages).toEqual([]);
}

/** The fake's requests since `from`, counted by "METHOD /path". */
function callsSince(from: number) {
  const counts: Record<string, number> = {};
  for (const r of fake.log.slice(from)) counts[`${r.method} ${r.path.replace(/\/\d+$/, "/:n")}`] = (counts[`${r.method} ${r.path.replace(/\/\d+$/, "/:n")}`] ?? 0) + 1;
  return counts;
}

async function ledgerEntry(integrationId: string, id: number) {
  return (await call("GET", `/api/staff/integrations/${integrationId}/orders/${id}`)).json;
}

const MASTER = { "GET /vat-zones": 1, "GET /accounting-years": 1, "GET /products": 1 };

describe("e-conomic: the customers of a batch in one look-up", () => {
  it("10 new customers: one look-up, 10 customers, 10 drafts; the same customers in the next batch: drafts only", async () => {
    const i = await setup();
    // Emails with the filter's special characters ($ ( ) * , [ ] and the colon), which e-conomic needs escaped.
    const emails = ["plain@example.dk", "dollar$sign@example.dk", "paren(s)@example.dk", "star*@example.dk", "comma,x@example.dk", "br[a]ckets@example.dk", "colon:x@example.dk", "plus+tag@example.dk", "Mixed.Case@Example.dk", "last@example.dk"];
    const first = emails.map((e) => shopifyOrder(e));
    const from = fake.log.length;
    await runBatch(first.map((o) => delivery(i.id, o)));

    expect(callsSince(from)).toEqual({ ...MASTER, "GET /customers": 1, "POST /customers": 10, "POST /invoices/drafts": 10 });
    const lookup = fake.requests("GET", "/customers")[0].query.get("filter")!;
    expect(lookup.split("$or:")).toHaveLength(10);
    expect(lookup).toContain("email$eq:dollar$$sign@example.dk");
    expect(lookup).toContain("email$eq:paren$(s$)@example.dk");
    expect(lookup).toContain("email$eq:comma$,x@example.dk");
    // Every order is transferred, each draft to its own buyer's customer.
    expect(fake.drafts.size).toBe(10);
    for (const o of first) {
      const entry = await ledgerEntry(i.id, o.id);
      expect(entry.status, JSON.stringify(entry.error)).toBe("transferred");
      const draft = fake.drafts.get(Number(entry.document.number))!;
      const customer = fake.customers.find((c) => c.customerNumber === draft.customer.customerNumber)!;
      expect(customer.email).toBe(o.email);
    }

    // The next batch: the same buyers are bound (one D1 read), master data is kept: one call per order.
    const again = emails.map((e) => shopifyOrder(e.toUpperCase()));
    const from2 = fake.log.length;
    await runBatch(again.map((o) => delivery(i.id, o)));
    expect(callsSince(from2)).toEqual({ "POST /invoices/drafts": 10 });
    expect(fake.customers).toHaveLength(10);
  });

  it("customers that exist in e-conomic but are not bound yet: one look-up finds them all, exact emails only, none created", async () => {
    fake = new FakeEconomic({
      products: catalogue,
      customers: [
        { name: "Anna", email: "anna@example.dk", currency: "DKK", vatZone: { vatZoneNumber: 1 } },
        { name: "Bo", email: "BO@EXAMPLE.DK", currency: "DKK", vatZone: { vatZoneNumber: 1 } },
        { name: "Dollar", email: "a$b@example.dk", currency: "DKK", vatZone: { vatZoneNumber: 1 } },
        // Not the buyer "anna@example.dk", though it contains that address.
        { name: "Other", email: "hanna@example.dk.other", currency: "DKK", vatZone: { vatZoneNumber: 1 } },
      ],
    });
    setOutboundFetch(fake.fetch);
    const i = await setup();
    const orders = [shopifyOrder("anna@example.dk"), shopifyOrder("bo@example.dk"), shopifyOrder("a$b@example.dk"), shopifyOrder("Anna@Example.dk")];
    const from = fake.log.length;
    await runBatch(orders.map((o) => delivery(i.id, o)));
    expect(callsSince(from)).toEqual({ ...MASTER, "GET /customers": 1, "POST /invoices/drafts": 4 });
    const byOrder = await Promise.all(orders.map(async (o) => fake.drafts.get(Number((await ledgerEntry(i.id, o.id)).document.number))!.customer.customerNumber));
    expect(byOrder).toEqual([1, 2, 3, 1]);
  });

  it("one order alone is looked up as before (no read-ahead), and a returning buyer costs no look-up", async () => {
    const i = await setup();
    const from = fake.log.length;
    await runBatch([delivery(i.id, shopifyOrder("solo@example.dk"))]);
    expect(callsSince(from)).toEqual({ ...MASTER, "GET /customers": 1, "POST /customers": 1, "POST /invoices/drafts": 1 });
    const from2 = fake.log.length;
    await runBatch([delivery(i.id, shopifyOrder("solo@example.dk")), delivery(i.id, shopifyOrder("new@example.dk"))]);
    expect(callsSince(from2)).toEqual({ "GET /customers": 1, "POST /customers": 1, "POST /invoices/drafts": 2 });
    expect(fake.requests("GET", "/customers").at(-1)!.query.get("filter")).toBe("email$eq:new@example.dk");
  });

  it("two orders of one new buyer in a batch create one customer", async () => {
    const i = await setup();
    await runBatch([delivery(i.id, shopifyOrder("twice@example.dk")), delivery(i.id, shopifyOrder("twice@example.dk")), delivery(i.id, shopifyOrder("other@example.dk"))]);
    expect(fake.requests("POST", "/customers")).toHaveLength(2);
    expect(fake.drafts.size).toBe(3);
  });

  it("200 new buyers: look-ups split so that every URL stays within the server's limit, each buyer looked up once", async () => {
    const i = await setup();
    const orders = Array.from({ length: 200 }, (_, n) => shopifyOrder(`a-rather-long-address-of-buyer-number-${n}@some-shop-domain.example.dk`));
    const from = fake.log.length;
    // A queue batch holds at most 25 messages; the read-ahead itself splits any batch the same way.
    for (let n = 0; n < orders.length; n += 25) await runBatch(orders.slice(n, n + 25).map((o) => delivery(i.id, o)));
    const lookups = fake.log.slice(from).filter((r) => r.method === "GET" && r.path === "/customers");
    const asked = lookups.flatMap((r) => r.query.get("filter")!.split("$or:"));
    expect(asked).toHaveLength(200);
    expect(new Set(asked).size).toBe(200);
    expect(lookups.length).toBeGreaterThan(8); // 25 such emails do not fit one URL
    expect(lookups.length).toBeLessThanOrEqual(16);
    expect(fake.drafts.size).toBe(200);
    expect(fake.customers).toHaveLength(200);

    const chunks = emailChunks(orders.map((o) => o.email));
    expect(chunks.flat()).toEqual(orders.map((o) => o.email));
    for (const c of chunks) expect(new URLSearchParams({ filter: c.map((e) => `email$eq:${e}`).join("$or:") }).toString().length).toBeLessThan(MAX_QUERY_STRING - 100);
  });
});

describe("the fake e-conomic's filter is e-conomic's", () => {
  const get = (query: string) => fake.fetch(`${fake.origin}/customers?${query}`, { headers: { "X-AppSecretToken": fake.appSecretToken, "X-AgreementGrantToken": fake.agreementGrantToken } });
  beforeEach(() => {
    fake = new FakeEconomic({ customers: [{ name: "Paren", email: "x(y)@example.dk", currency: "DKK", vatZone: { vatZoneNumber: 1 } }, { name: "Bo", email: "bo@example.dk", currency: "DKK", vatZone: { vatZoneNumber: 1 } }] });
  });
  const q = (filter: string) => new URLSearchParams({ filter }).toString();

  it("$eq is exact and case-insensitive, $or joins, escaped characters match literally", async () => {
    const r = await get(q("email$eq:X$(Y$)@EXAMPLE.DK$or:email$eq:bo@example.dk$or:email$eq:b@example.dk"));
    expect(r.status).toBe(200);
    expect(((await r.json()) as { collection: { name: string }[] }).collection.map((c) => c.name)).toEqual(["Paren", "Bo"]);
  });

  it("unescaped syntax characters, unknown operators and $in on strings are refused with 400, as e-conomic does", async () => {
    for (const filter of ["email$eq:x(y)@example.dk", "email$eq:a,b", "email$foo:x", "email$in:[a$,b]", "nosuchfield$eq:1"]) {
      const r = await get(q(filter));
      expect(r.status, filter).toBe(400);
      expect(((await r.json()) as { message: string }).message, filter).toMatch(/parse|not allowed|only allowed on numeric/);
    }
    const numeric = await get(q("customerNumber$in:[2,5]"));
    expect(((await numeric.json()) as { collection: { name: string }[] }).collection.map((c) => c.name)).toEqual(["Bo"]);
  });

  it("a query string beyond the limit is answered 414", async () => {
    const long = Array.from({ length: 80 }, (_, n) => `email$eq:buyer-${n}@example.dk`).join("$or:");
    expect((await get(q(long))).status).toBe(414);
  });

  it("a draft needs its recipient's name and an existing customer", async () => {
    const r = await fake.fetch(`${fake.origin}/invoices/drafts`, {
      method: "POST",
      headers: { "X-AppSecretToken": fake.appSecretToken, "X-AgreementGrantToken": fake.agreementGrantToken, "Content-Type": "application/json" },
      body: JSON.stringify({ currency: "DKK", customer: { customerNumber: 99 }, date: "2025-06-10", layout: { layoutNumber: 19 }, paymentTerms: { paymentTermsNumber: 1 }, recipient: { vatZone: { vatZoneNumber: 1 } }, lines: [] }),
    });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { errors: Record<string, unknown> };
    expect(body.errors.customer).toBeDefined();
    expect((body.errors.recipient as Record<string, unknown>).name).toBeDefined();
  });
});

describe("e-conomic: master data kept across batches", () => {
  const keptKind = async () => `economic.master:${(await sha256Hex(economicSettingsComplete.agreementGrantToken)).slice(0, 16)}`;

  it("read once for many batches; read again once older than its time to live", async () => {
    const i = await setup();
    for (let b = 0; b < 4; b++) await runBatch([delivery(i.id, shopifyOrder(`m${b}@example.dk`)), delivery(i.id, shopifyOrder(`n${b}@example.dk`))]);
    expect(fake.requests("GET", "/vat-zones")).toHaveLength(1);
    expect(fake.requests("GET", "/accounting-years")).toHaveLength(1);
    expect(fake.requests("GET", "/products")).toHaveLength(1);
    expect(fake.drafts.size).toBe(8);

    // The kept copy ages past its time to live: the next batch reads master data again, once.
    const kept = cacheEntry<MasterSnapshot>(getDb(env), i.id, await keptKind());
    const copy = (await kept.read())!;
    expect(copy.data.products.sort()).toEqual(["MUG-01", "SHIP", "TEE-RED-M"]);
    await kept.write(copy.data, new Date(Date.now() - MASTER_TTL_MS - 1000).toISOString());
    await runBatch([delivery(i.id, shopifyOrder("late@example.dk"))]);
    expect(fake.requests("GET", "/vat-zones")).toHaveLength(2);
    expect(fake.requests("GET", "/products")).toHaveLength(2);
  });

  it("an order that fails on the kept copy is checked again on fresh data (the merchant fixed it in e-conomic)", async () => {
    const i = await setup();
    await runBatch([delivery(i.id, shopifyOrder("a@example.dk")), delivery(i.id, shopifyOrder("b@example.dk"))]);
    // A new product in e-conomic, after the copy was kept.
    fake.products.set("NEW-1", { productNumber: "NEW-1", name: "New", salesPrice: 100, productGroup: goods });
    const o = shopifyOrder("c@example.dk");
    o.line_items = o.line_items.map((l, n) => (n === 0 ? { ...l, sku: "NEW-1" } : l));
    await runBatch([delivery(i.id, o)]);
    const entry = await ledgerEntry(i.id, o.id);
    expect(entry.status, JSON.stringify(entry.error)).toBe("transferred");
    expect(fake.requests("GET", "/products")).toHaveLength(2);

    // A product really missing still fails, after one fresh read (the copy now has NEW-1).
    const bad = shopifyOrder("d@example.dk");
    bad.line_items = bad.line_items.map((l, n) => (n === 0 ? { ...l, sku: "NOPE-9" } : l));
    await runBatch([delivery(i.id, bad)]);
    expect((await ledgerEntry(i.id, bad.id)).error.category).toBe("product_missing");
    expect(fake.requests("GET", "/products")).toHaveLength(3);
  });
});

describe("e-conomic: customerMode collective", () => {
  const collective = { customerMode: "collective", collectiveCustomerNumber: 1 };
  beforeEach(() => {
    fake = new FakeEconomic({ products: catalogue, customers: [{ name: "Privatkunder", currency: "DKK", vatZone: { vatZoneNumber: 1 } }] });
    setOutboundFetch(fake.fetch);
  });

  it("private buyers go to the collective debtor with themselves as recipient; a company still gets its own customer", async () => {
    const i = await setup(collective);
    const privates = [shopifyOrder("p1@example.dk", { company: null, name: "Per Hansen" }), shopifyOrder("p2@example.dk", { company: null, name: "Lise Holm" }), shopifyOrder("p3@example.dk", { company: null, name: "Ole Bak" })];
    const company = shopifyOrder("firma@example.dk");
    const from = fake.log.length;
    await runBatch([...privates, company].map((o) => delivery(i.id, o)));
    expect(callsSince(from)).toEqual({ ...MASTER, "GET /customers": 1, "POST /customers": 1, "POST /invoices/drafts": 4 });
    expect(fake.requests("GET", "/customers")[0].query.get("filter")).toBe("email$eq:firma@example.dk");

    for (const o of privates) {
      const entry = await ledgerEntry(i.id, o.id);
      expect(entry.status, JSON.stringify(entry.error)).toBe("transferred");
      const draft = fake.drafts.get(Number(entry.document.number))!;
      expect(draft.customer.customerNumber).toBe(1);
      expect(draft.recipient).toMatchObject({ name: o.billing_address.name, address: expect.stringContaining("Nørregade 12"), zip: "1165", city: "København K", country: "Denmark", vatZone: { vatZoneNumber: 1 } });
    }
    const companyDraft = fake.drafts.get(Number((await ledgerEntry(i.id, company.id)).document.number))!;
    expect(companyDraft.customer.customerNumber).toBe(2);
    expect(fake.customers[1]).toMatchObject({ name: "Jensen Keramik ApS", email: "firma@example.dk" });
    expect(companyDraft.recipient.name).toBe("Jensen Keramik ApS");

    // Private buyers cost one call each: the draft.
    const from2 = fake.log.length;
    await runBatch(Array.from({ length: 5 }, (_, n) => delivery(i.id, shopifyOrder(`q${n}@example.dk`, { company: null }))));
    expect(callsSince(from2)).toEqual({ "POST /invoices/drafts": 5 });
  });

  it("a collective debtor that does not exist in e-conomic fails the order naming the setting", async () => {
    const i = await setup({ customerMode: "collective", collectiveCustomerNumber: 4242 });
    const o = shopifyOrder("p@example.dk", { company: null });
    await runBatch([delivery(i.id, o)]);
    const entry = await ledgerEntry(i.id, o.id);
    expect(entry.status).toBe("failed");
    expect(entry.error.category).toBe("accounting_rejected");
    expect(entry.error.message).toContain("collectiveCustomerNumber");
    expect(entry.error.hint).toContain("4242");
    expect(fake.drafts.size).toBe(0);
    expect(fake.requests("POST", "/customers")).toHaveLength(0);
  });

  it("activation is refused while collectiveCustomerNumber is missing in collective mode; the setting is validated and shown", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, {
      shop: { module: "shopify", settings: { shopDomain: "demo-shop.myshopify.com", accessToken: "shpat", webhookSecret: "shp-secret" } },
      accounting: { module: "economic", settings: { ...economicSettingsComplete, customerMode: "collective" } },
    });
    const refused = await call("POST", `/api/staff/integrations/${i.id}/activate`);
    expect(refused.status).toBe(422);
    expect(refused.json.error.details.missing).toEqual(["accounting.collectiveCustomerNumber"]);

    const bad = await call("PATCH", `/api/staff/integrations/${i.id}`, { accounting: { settings: { customerMode: "per_buyer" } } });
    expect(bad.status).toBe(400);
    const ok = await call("PATCH", `/api/staff/integrations/${i.id}`, { accounting: { settings: { collectiveCustomerNumber: 1 } } });
    expect(ok.status, ok.text).toBe(200);
    expect((await call("POST", `/api/staff/integrations/${i.id}/activate`)).status).toBe(200);
    const shown = await call("GET", `/api/staff/integrations/${i.id}`);
    expect(shown.json.accounting.settings).toMatchObject({ customerMode: "collective", collectiveCustomerNumber: 1 });

    // Per customer (the default) needs no collective customer.
    const plain = await createIntegration(t.id, {
      shop: { module: "shopify", settings: { shopDomain: "demo-shop.myshopify.com", accessToken: "shpat", webhookSecret: "shp-secret" } },
      accounting: { module: "economic", settings: economicSettingsComplete },
    });
    expect((await call("GET", `/api/staff/integrations/${plain.id}`)).json.accounting.settings.customerMode).toBe("per_customer");
    expect((await call("POST", `/api/staff/integrations/${plain.id}/activate`)).status).toBe(200);
  });
});
