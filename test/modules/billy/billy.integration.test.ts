import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "../../../src/db/client";
import { setOutboundFetch } from "../../../src/lib/outbound";
import type { CanonicalOrder } from "../../../src/domain/order";
import { BILLY_LIMITS, billyAdapter } from "../../../src/modules/billy/adapter";
import { billySettings } from "../../../src/modules/billy/settings";
import { getModule, missingSettings } from "../../../src/modules/registry";
import type { AccountingSession } from "../../../src/modules/types";
import { FakeBilly } from "../../fakes/billy";
import { charge, line, order } from "../../order-factory";
import { accountingContext, activate, call, createIntegration, createTenant, rejection } from "../../helpers";
import { delivery, runBatch, soon } from "../../transfers/transfer-helpers";
import shopifyDk from "../../fixtures/shopify/own-dk-25-taxes-included-discount-shipping.json";

let fake: FakeBilly;
let integrationId = "";
beforeEach(() => {
  fake = new FakeBilly();
  integrationId = `int-billy-${crypto.randomUUID()}`;
});

const reference = (o: CanonicalOrder) => `Order ${o.orderNumber} (id ${o.shopOrderId}) ob:${integrationId}`;

function openBilly(settings: Record<string, unknown> = {}): Promise<AccountingSession> {
  return billyAdapter.open(accountingContext({
    integrationId,
    tenantId: "tenant-billy",
    settings: billySettings.parse({ accessToken: fake.token, shippingProductNo: "SHIP", ...settings }),
    env,
    db: getDb(env),
    fetch: fake.fetch,
  }));
}


/** What the transfer core does on a retry: look our reference up, complete what exists, else create. */
async function transfer(session: AccountingSession, o: CanonicalOrder, retry: boolean) {
  const earlier = retry ? await session.findDocument(reference(o)) : null;
  return earlier ? session.completeDocument(earlier, o, reference(o)) : session.createDocument(o, reference(o));
}

describe("Billy settings", () => {
  it("requires the token and the shipping product; productAccountId and salesTaxRulesetId when autoCreateProducts is on", () => {
    const m = getModule("accounting", "billy")!;
    expect(missingSettings(m, {}).sort()).toEqual(["accessToken", "shippingProductNo"]);
    expect(missingSettings(m, { accessToken: "t", shippingProductNo: "SHIP", autoCreateProducts: true }).sort()).toEqual(["productAccountId", "salesTaxRulesetId"]);
    expect(billySettings.parse({ accessToken: "t", shippingProductNo: "SHIP" })).toMatchObject({ documentType: "draft", allowDraftUpdates: true, autoCreateProducts: false, creditRefunds: true });
  });
});

describe("Billy: an order becomes an invoice", () => {
  it("creates the contact and a draft with net lines by product, shipping, externalId, Copenhagen date and currency", async () => {
    const session = await openBilly();
    const o = order({ createdAt: "2025-06-30T22:30:00Z" });
    const r = await session.createDocument(o, reference(o));
    expect(fake.invoices).toHaveLength(1);
    const inv = fake.invoices[0];
    expect(r.document).toEqual({ type: "draft", number: inv.id });
    expect(inv).toMatchObject({ state: "draft", entryDate: "2025-07-01", currencyId: "DKK", taxMode: "excl", externalId: reference(o) });
    const prod = (no: string) => fake.products.find((p) => p.productNo === no)!.id;
    expect(inv.lines).toEqual([
      expect.objectContaining({ productId: prod("SKU-1"), quantity: 2, unitPrice: 100 }),
      expect.objectContaining({ productId: prod("SHIP"), quantity: 1, unitPrice: 39 }),
    ]);
    expect(fake.contacts).toHaveLength(1);
    expect(fake.contacts[0]).toMatchObject({ countryId: "DK", street: "Testvej 1", zipcodeText: "7000", cityText: "Fredericia" });
    expect(fake.contacts[0].contactPersons[0].email).toBe(o.customer.email);
  });

  it("finds an existing contact by its contact person's email, and remembers it for the next order", async () => {
    const session = await openBilly();
    const o = order({ customer: { email: "known@example.com" } });
    fake.contacts.push({ id: "contact-known", name: "Known", countryId: "DK", contactPersons: [{ id: "cp-k", email: "Known@Example.com", name: "Known" }] });
    await session.createDocument(o, reference(o));
    expect(fake.invoices[0].contactId).toBe("contact-known");
    const again = await openBilly();
    const before = fake.calls("GET", "/v2/contactPersons");
    const o2 = order({ customer: { email: "known@example.com" } });
    await again.createDocument(o2, reference(o2));
    expect(fake.invoices[1].contactId).toBe("contact-known");
    expect(fake.calls("GET", "/v2/contactPersons")).toBe(before);
    expect(fake.contacts).toHaveLength(1);
  });

  it("approves the invoice when documents are booked: document.number is Billy's invoiceNo", async () => {
    const session = await openBilly({ documentType: "booked" });
    const o = order();
    const r = await session.createDocument(o, reference(o));
    expect(fake.invoices[0].state).toBe("approved");
    expect(r.document).toEqual({ type: "booked", number: fake.invoices[0].invoiceNo });
  });

  it("in another currency: currencyId is the document currency, amounts in its decimals (JPY)", async () => {
    const session = await openBilly();
    const o = order({ currency: "JPY", lines: [line("SKU-1", 1, 1224)], shipping: [] });
    await session.createDocument(o, reference(o));
    expect(fake.invoices[0]).toMatchObject({ currencyId: "JPY", lines: [expect.objectContaining({ unitPrice: 1224 })] });
  });
});

describe("Billy: exactly once under lost answers", () => {
  it("a lost answer of POST /v2/invoices: the retry finds the draft by externalId and creates nothing", async () => {
    const o = order();
    fake.loseAnswerOf.push({ method: "POST", path: "/v2/invoices", times: 1 });
    const first = await openBilly();
    expect((await rejection(first.createDocument(o, reference(o)))).category).toBe("accounting_unavailable");
    expect(fake.invoices).toHaveLength(1);
    const r = await transfer(await openBilly(), o, true);
    expect(fake.invoices).toHaveLength(1);
    expect(r.document).toEqual({ type: "draft", number: fake.invoices[0].id });
  });

  it("booked: the invoice is created approved in one call; its answer lost, the retry finds it approved and makes or approves nothing twice", async () => {
    const o = order();
    fake.loseAnswerOf.push({ method: "POST", path: "/v2/invoices", times: 1 });
    const first = await openBilly({ documentType: "booked" });
    expect((await rejection(first.createDocument(o, reference(o)))).category).toBe("accounting_unavailable");
    expect(fake.invoices[0].state).toBe("approved");
    const r = await transfer(await openBilly({ documentType: "booked" }), o, true);
    expect(r.document).toEqual({ type: "booked", number: fake.invoices[0].invoiceNo });
    expect(fake.invoices).toHaveLength(1);
    expect(fake.calls("PUT")).toBe(0);
    expect(fake.calls("POST", "/v2/invoices")).toBe(1);
  });

  it("a draft left by an earlier attempt, its approval refused: the error carries the draft; completing it again approves that draft once", async () => {
    const o = order();
    const left = (await (await openBilly()).createDocument(o, reference(o))).document;
    const session = await openBilly({ documentType: "booked" });
    // The approval answers 429 (after the draft was brought up to date).
    let failApproval = true;
    const f: typeof fetch = async (input, init) => {
      if (failApproval && init?.method === "PUT" && String(init.body).includes('"state":"approved"')) {
        failApproval = false;
        fake.rateLimitNext = 1;
      }
      return fake.fetch(input, init);
    };
    const s2 = await billyAdapter.open(accountingContext({ integrationId, tenantId: "t", settings: billySettings.parse({ accessToken: fake.token, shippingProductNo: "SHIP", documentType: "booked" }), env, db: getDb(env), fetch: f }));
    const err = await rejection(s2.completeDocument(left, o, reference(o)));
    expect(err.category).toBe("accounting_unavailable");
    expect(err.retryAfterSeconds).toBe(2);
    expect(err.details?.document).toEqual({ type: "draft", number: fake.invoices[0].id });
    const r = await session.completeDocument(left, o, reference(o));
    expect(r.document).toEqual({ type: "booked", number: fake.invoices[0].invoiceNo });
    expect(fake.invoices).toHaveLength(1);
  });

  it("a draft update (R7) changes the draft in place with PUT; an approved invoice is refused", async () => {
    const session = await openBilly();
    const o = order();
    const r = await session.createDocument(o, reference(o));
    const changed = { ...order({ lines: [line("SKU-1", 3, 10000)], shipping: [charge(3900)] }), shopOrderId: o.shopOrderId, orderNumber: o.orderNumber, customer: o.customer };
    await session.updateDraft(r.document, changed, reference(o));
    expect(fake.invoices).toHaveLength(1);
    expect(fake.invoices[0].lines[0]).toMatchObject({ quantity: 3, unitPrice: 100 });
    const err = await rejection(session.updateDraft({ type: "booked", number: "1" }, changed, reference(o)));
    expect(err.category).toBe("accounting_rejected");
  });
});

describe("Billy: the frequent errors before anything is created", () => {
  it("product_missing, sku_missing, customer_info_missing, vat_setup_missing, totals_mismatch", async () => {
    const session = await openBilly();
    const cases: [CanonicalOrder, string][] = [
      [order({ lines: [line("NOPE", 1, 10000)] }), "product_missing"],
      [order({ lines: [line(null, 1, 10000)] }), "sku_missing"],
      [order({ customer: { email: null } }), "customer_info_missing"],
      [order({ lines: [line("SKU-1", 1, 10000, { vatRate: 1900 })], shipping: [] }), "vat_setup_missing"],
    ];
    for (const [o, category] of cases) {
      const err = await rejection(session.createDocument(o, reference(o)));
      expect(err.category).toBe(category);
    }
    const missing = await session.check(order({ lines: [line("NOPE", 1, 10000)] }));
    expect(missing?.hint).toContain("Billy");
    const off = order();
    off.totals = { ...off.totals, gross: off.totals.gross + 7 };
    const err = await rejection(session.createDocument(off, reference(off)));
    expect(err.category).toBe("totals_mismatch");
    // A totals mismatch leaves the draft (never approved) and says so; the others created nothing.
    expect(fake.invoices).toHaveLength(1);
    expect(fake.invoices[0].state).toBe("draft");
    expect(fake.contacts).toHaveLength(1);
  });

  it("Billy's error body is the message of accounting_rejected; a refused token is accounting_auth_failed", async () => {
    const session = await openBilly();
    fake.products = fake.products.map((p) => ({ ...p }));
    // The product disappears in Billy after the session loaded it.
    fake.products = fake.products.filter((p) => p.productNo !== "SKU-1");
    const o = order();
    const err = await rejection(session.createDocument(o, reference(o)));
    expect(err.category).toBe("accounting_rejected");
    expect(err.message).toContain("Validation failed.");
    expect(err.message).toContain("productId: Product does not exist");
    expect(err.message).toContain("VALIDATION_ERROR");
    const auth = await rejection(billyAdapter.open(accountingContext({ integrationId, tenantId: "t", settings: billySettings.parse({ accessToken: "wrong", shippingProductNo: "SHIP" }), env, db: getDb(env), fetch: fake.fetch })));
    expect(auth.category).toBe("accounting_auth_failed");
    expect(auth.message).toContain("The access token is not valid.");
  });
});

describe("Billy: VAT from the products' sales tax rulesets, locked periods, hints in Billy's words", () => {
  const noVat = (over: Parameters<typeof order>[0] = {}) => order({ lines: [line("SKU-1", 1, 10000, { vatRate: 0 })], shipping: [charge(3900, 0)], ...over });

  it("vat_setup_missing when a product's ruleset has no rule for the customer's country, or gives another rate than the order's; nothing is created", async () => {
    fake.salesTaxRulesets.push({ id: "rs-dk", name: "Kun Danmark", fallbackTaxRateId: null, rules: [{ countryId: "DK", taxRateId: "rate-25", priority: 1 }] });
    fake.addProduct("DK-ONLY", "rs-dk");
    const session = await openBilly();
    const sweden = noVat({ lines: [line("DK-ONLY", 1, 10000, { vatRate: 0 })], customer: { countryCode: "SE", company: "Svensk AB" } });
    const noRule = await rejection(session.createDocument(sweden, reference(sweden)));
    expect(noRule.category).toBe("vat_setup_missing");
    expect(noRule.message).toContain('"Kun Danmark", which has no rule for SE');
    expect(noRule.message).toContain("ikke har nogen regel for SE");
    expect(noRule.hint).toContain("momsregelsæt");
    expect(noRule.hint).toContain("sales tax ruleset");
    // A private buyer in Germany: Billy's standard ruleset charges 25 %, the order has none.
    const person = noVat({ customer: { countryCode: "DE" } });
    const wrongRate = await rejection(session.createDocument(person, reference(person)));
    expect(wrongRate.category).toBe("vat_setup_missing");
    expect(wrongRate.message).toContain("gives 25 % VAT for DE, but the order has 0 %");
    expect(fake.invoices).toHaveLength(0);
    expect(fake.contacts).toHaveLength(0);
    // A German company without VAT (reverse charge) and an order outside the EU (the fallback, 0 %) pass.
    expect(await session.check(noVat({ customer: { countryCode: "DE", company: "Deutsche GmbH" } }))).toBeNull();
    expect(await session.check(noVat({ customer: { countryCode: "US" } }))).toBeNull();
    expect(await session.check(order())).toBeNull();
  });

  it("a locked period: Billy's refusal of the entry date is fiscal_year_closed with Billy's words, nothing invoiced", async () => {
    fake.lockedUntil = "2025-06-30";
    const session = await openBilly();
    const o = order();
    const err = await rejection(session.createDocument(o, reference(o)));
    expect(err.category).toBe("fiscal_year_closed");
    expect(err.message).toContain("locked until 2025-06-30");
    expect(err.hint).toContain("låst i Billy");
    expect(err.hint).toContain("locked in Billy");
    expect(fake.invoices).toHaveLength(0);
  });

  it("the frequent errors carry Danish and English hints in Billy's words", async () => {
    const session = await openBilly();
    const off = order();
    off.totals = { ...off.totals, gross: off.totals.gross + 7 };
    const cases: [CanonicalOrder, string, string][] = [
      [order({ lines: [line("NOPE", 1, 10000)] }), "product_missing", "varenr."],
      [order({ lines: [line(null, 1, 10000)] }), "sku_missing", "varenummer"],
      [order({ customer: { email: null } }), "customer_info_missing", "kontaktperson"],
      [order({ lines: [line("SKU-1", 1, 10000, { vatRate: 1900 })], shipping: [] }), "vat_setup_missing", "momsregelsæt"],
    ];
    for (const [o, category, word] of cases) {
      const err = await session.check(o);
      expect(err?.category).toBe(category);
      expect(err?.hint.toLowerCase()).toContain(word);
      expect(err?.hint).toContain(" / ");
    }
    const totals = await rejection(session.createDocument(off, reference(off)));
    expect(totals.category).toBe("totals_mismatch");
    expect(totals.hint).toContain("Billys linjer");
  });
});

describe("Billy: autoCreateProducts", () => {
  it("creates a missing product with the account and ruleset, then uses it on the line", async () => {
    const session = await openBilly({ autoCreateProducts: true, productAccountId: "acc-1", salesTaxRulesetId: "rs-1" });
    const o = order({ lines: [line("NEW-1", 1, 5000, { description: "Ny vare" })] });
    expect(await session.check(o)).toBeNull();
    await session.createDocument(o, reference(o));
    const created = fake.products.find((p) => p.productNo === "NEW-1")!;
    expect(created).toMatchObject({ name: "Ny vare", accountId: "acc-1", salesTaxRulesetId: "rs-1" });
    expect(fake.invoices[0].lines[0].productId).toBe(created.id);
  });
});

describe("Billy: rate", () => {
  it("a 429 is accounting_unavailable with Billy's Retry-After; the retry creates the invoice once. Calls per order counted", async () => {
    const o = order();
    const session = await openBilly();
    fake.rateLimitNext = 1;
    const err = await rejection(session.createDocument(o, reference(o)));
    expect(err.category).toBe("accounting_unavailable");
    expect(err.retryAfterSeconds).toBe(2);
    expect(fake.invoices).toHaveLength(0);
    const before = session.calls();
    await transfer(session, o, true);
    expect(fake.invoices).toHaveLength(1);
    // On the retry: the externalId lookup, the contact lookup, the contact, the invoice.
    expect(session.calls() - before).toBe(4);
    const next = order();
    const b2 = session.calls();
    await session.createDocument(next, reference(next));
    // A new buyer: GET contactPersons, POST contacts, POST invoices.
    expect(session.calls() - b2).toBe(3);
  });
});

describe("Billy: the access token is checked when it is set", () => {
  afterEach(() => setOutboundFetch());
  const shop = { module: "sandbox", settings: {} };

  it("a good token is stored with the organization's name; a refused one is 422 accounting_auth_failed and nothing is stored", async () => {
    setOutboundFetch(fake.fetch);
    const t = await createTenant();
    const created = await call("POST", `/api/staff/tenants/${t.id}/integrations`, { shop, accounting: { module: "billy", settings: { accessToken: fake.token, shippingProductNo: "SHIP" } } });
    expect(created.status).toBe(201);
    const i = created.json as { id: string; accounting: { settings: Record<string, unknown> } };
    expect(i.accounting.settings).toMatchObject({ accessToken: "********", organizationName: "Testbutikken ApS" });
    expect(fake.calls("GET", "/v2/organization")).toBe(1);

    const before = await env.DB.prepare("SELECT accounting_secrets AS s, accounting_settings AS p FROM integrations WHERE id = ?").bind(i.id).first();
    const refused = await call("PATCH", `/api/staff/integrations/${i.id}`, { accounting: { settings: { accessToken: "wrong-token", shippingProductNo: "OTHER" } } });
    expect(refused.status).toBe(422);
    expect(refused.json.error.code).toBe("accounting_auth_failed");
    const after = await env.DB.prepare("SELECT accounting_secrets AS s, accounting_settings AS p FROM integrations WHERE id = ?").bind(i.id).first();
    expect(after).toEqual(before);

    const refusedNew = await call("POST", `/api/staff/tenants/${t.id}/integrations`, { shop, accounting: { module: "billy", settings: { accessToken: "wrong-token" } } });
    expect(refusedNew.status).toBe(422);
    const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM integrations WHERE tenant_id = ?").bind(t.id).first<{ n: number }>();
    expect(count?.n).toBe(1);
    // Settings without a new token are not checked again.
    const plain = await call("PATCH", `/api/staff/integrations/${i.id}`, { accounting: { settings: { documentType: "booked" } } });
    expect(plain.status).toBe(200);
    expect(fake.calls("GET", "/v2/organization")).toBe(3);
  });
});

describe("Billy: calls per order (the bench's mix: batches of 25, one buyer in six new)", () => {
  const saved = { ...BILLY_LIMITS };
  // The measurement is of calls, not of waiting for the polite default budget.
  beforeEach(() => Object.assign(BILLY_LIMITS, { capacity: 100_000, refillPerSecond: 100_000 }));
  afterEach(() => {
    Object.assign(BILLY_LIMITS, saved);
    setOutboundFetch();
  });

  for (const documentType of ["draft", "booked"] as const) {
    // Approved on create (Billy's `state`): booked costs no call more than draft.
    it(`${documentType}: at most 1.5 calls per order`, async () => {
      setOutboundFetch(fake.fetch);
      fake.addProduct("MUG-01");
      fake.addProduct("TEE-RED-M");
      const t = await createTenant();
      const i = await createIntegration(t.id, {
        shop: { module: "shopify", settings: { shopDomain: "demo-shop.myshopify.com", accessToken: "shpat", webhookSecret: "shp-secret" } },
        accounting: { module: "billy", settings: { accessToken: fake.token, shippingProductNo: "SHIP", documentType } },
      });
      await activate(i.id);
      // A few buyers the merchant already has in Billy.
      for (let n = 0; n < 5; n++) fake.contacts.push({ id: `known-${n}`, name: `Known ${n}`, countryId: "DK", contactPersons: [{ id: `cp-${n}`, email: `buyer${n}@example.dk`, name: `Known ${n}` }] });
      const before = fake.calls();
      const ORDERS = 150;
      for (let batch = 0; batch < ORDERS / 25; batch++) {
        const msgs = Array.from({ length: 25 }, (_, k) => {
          const id = 95000 + batch * 25 + k;
          return { body: delivery(i.id, { ...shopifyDk, id, name: `#${id}`, email: `buyer${id % 25}@example.dk`, created_at: soon(), updated_at: soon() }) };
        });
        const r = await runBatch(msgs);
        expect(r.explicitAcks).toHaveLength(25);
      }
      const invoices = fake.invoices.filter((x) => x.type === "invoice");
      expect(invoices).toHaveLength(ORDERS);
      expect(invoices.filter((x) => x.state === (documentType === "booked" ? "approved" : "draft"))).toHaveLength(ORDERS);
      // No duplicate contacts: the known five are used, the twenty new buyers are created once each.
      expect(fake.contacts).toHaveLength(25);
      expect(new Set(invoices.filter((x) => x.contactId.startsWith("known-")).map((x) => x.contactId)).size).toBe(5);
      const perOrder = (fake.calls() - before) / ORDERS;
      console.log(`Billy ${documentType}: ${perOrder.toFixed(3)} calls per order`);
      expect(perOrder).toBeLessThanOrEqual(1.5);
    });
  }
});
