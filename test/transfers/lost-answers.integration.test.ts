/**
 * Every uncertain step of every accounting module: the step takes effect, then its answer is lost (a 503
 * or a dropped connection). The retry must find what was made by our reference, make nothing twice,
 * record the document that really exists, and count the order once.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TransferError } from "../../src/domain/errors";
import { setOutboundFetch } from "../../src/lib/outbound";
import { accountingAdapters } from "../../src/modules/adapters";
import { demoOrder } from "../../src/modules/sandbox/shop";
import type { AccountingSession } from "../../src/modules/types";
import { FakeEconomic } from "../fakes/economic";
import shopifyDk from "../fixtures/shopify/own-dk-25-taxes-included-discount-shipping.json";
import { activate, createIntegration, createTenant, postWoo, sandboxDocuments, waitForOrder } from "../helpers";
import { delivery, runBatch, setup, soon, usage } from "./transfer-helpers";

const goods = { productGroupNumber: 1 };
let fake: FakeEconomic;
beforeEach(() => {
  fake = new FakeEconomic({
    products: ["MUG-01", "TEE-RED-M", "SHIP"].map((productNumber) => ({ productNumber, name: productNumber, salesPrice: 100, productGroup: goods })),
  });
  setOutboundFetch(fake.fetch);
});
afterEach(() => setOutboundFetch());

let nextId = 9500;
const order = () => ({ ...shopifyDk, id: nextId++, created_at: soon(), updated_at: soon() });
const outcomes = (entry: { attempts: { outcome: string }[] }) => entry.attempts.map((a) => a.outcome);

/** The order ends as one booked invoice from one draft request, no draft left, counted once. */
async function bookedOnce(tenantId: string, integrationId: string, orderId: string) {
  const entry = await waitForOrder(integrationId, orderId);
  expect(entry.document).toEqual({ type: "booked", number: String([...fake.booked.keys()][0]) });
  expect(fake.requests("POST", "/invoices/drafts")).toHaveLength(1);
  expect(fake.booked.size).toBe(1);
  expect(fake.drafts.size).toBe(0);
  expect((await usage(tenantId)).transferredOrders).toBe(1);
}

describe("e-conomic: an answer lost after the effect", () => {
  for (const how of ["503", "drop"] as const) {
    it(`booking (${how}): the retry finds the booked invoice by our reference; the vanished draft is never touched`, async () => {
      const { tenant, integration } = await setup("shopify", { documentType: "booked" });
      const o = order();
      const msg = delivery(integration.id, o);
      fake.loseAnswer("POST", /^\/invoices\/booked$/, how);
      expect((await runBatch([{ body: msg }])).retryMessages).toHaveLength(1);
      expect(fake.booked.size).toBe(1); // e-conomic booked it; the draft is gone
      expect(fake.drafts.size).toBe(0);
      expect((await runBatch([{ body: msg, attempts: 2 }])).explicitAcks).toHaveLength(1);
      const entry = await waitForOrder(integration.id, String(o.id));
      expect(entry.status, JSON.stringify(entry.error)).toBe("transferred");
      expect(entry.document).toEqual({ type: "booked", number: String([...fake.booked.keys()][0]) });
      expect(fake.requests("PUT")).toHaveLength(0);
      expect(fake.requests("POST", "/invoices/drafts")).toHaveLength(1);
      expect(fake.requests("POST", "/invoices/booked")).toHaveLength(1);
      expect(fake.booked.size).toBe(1);
      expect((await usage(tenant.id)).transferredOrders).toBe(1);
      // The same message once more changes nothing.
      await runBatch([{ body: msg, attempts: 3 }]);
      expect(fake.booked.size).toBe(1);
      expect((await usage(tenant.id)).transferredOrders).toBe(1);
    });

    it(`creating the draft (${how}), documents booked: the retry books the draft it finds, once`, async () => {
      const { tenant, integration } = await setup("shopify", { documentType: "booked" });
      const o = order();
      const msg = delivery(integration.id, o);
      fake.loseAnswer("POST", /^\/invoices\/drafts$/, how);
      expect((await runBatch([{ body: msg }])).retryMessages).toHaveLength(1);
      expect(fake.drafts.size).toBe(1);
      expect((await runBatch([{ body: msg, attempts: 2 }])).explicitAcks).toHaveLength(1);
      await bookedOnce(tenant.id, integration.id, String(o.id));
    });

    it(`updating the draft an earlier attempt left (${how}): the next retry updates and books it, once`, async () => {
      const { tenant, integration } = await setup("shopify", { documentType: "booked" });
      const o = order();
      const msg = delivery(integration.id, o);
      fake.loseAnswer("POST", /^\/invoices\/drafts$/, "drop");
      fake.loseAnswer("PUT", /^\/invoices\/drafts\/\d+$/, how);
      expect((await runBatch([{ body: msg }])).retryMessages).toHaveLength(1);
      expect((await runBatch([{ body: msg, attempts: 2 }])).retryMessages).toHaveLength(1);
      expect(fake.requests("PUT")).toHaveLength(1);
      expect(fake.drafts.size).toBe(1);
      expect((await runBatch([{ body: msg, attempts: 3 }])).explicitAcks).toHaveLength(1);
      await bookedOnce(tenant.id, integration.id, String(o.id));
    });

    it(`updating a transferred draft (R7, ${how}): the retry updates the same draft; the new version is recorded once`, async () => {
      const { tenant, integration } = await setup("shopify");
      const v1 = order();
      await runBatch([{ body: delivery(integration.id, v1) }]);
      const draftNumber = [...fake.drafts.keys()][0];
      const v2 = { ...v1, updated_at: new Date(Date.now() + 5000).toISOString(), note: "second version" };
      const update = delivery(integration.id, v2, { isUpdate: true });
      fake.loseAnswer("PUT", /^\/invoices\/drafts\/\d+$/, how);
      expect((await runBatch([{ body: update }])).retryMessages).toHaveLength(1);
      expect((await waitForOrder(integration.id, String(v1.id))).received.note).not.toBe("second version");
      expect((await runBatch([{ body: update, attempts: 2 }])).explicitAcks).toHaveLength(1);
      const entry = await waitForOrder(integration.id, String(v1.id));
      expect(entry.received.note).toBe("second version");
      expect(entry.document).toEqual({ type: "draft", number: String(draftNumber) });
      expect(outcomes(entry)).toEqual(["transferred", "draft_update_failed", "draft_updated"]);
      expect(fake.drafts.size).toBe(1);
      expect((await usage(tenant.id)).transferredOrders).toBe(1);
    });
  }

  it("a recorded draft that is gone (404) and not found by our reference is made again, not rejected", async () => {
    const { integration } = await setup("shopify");
    const o = { ...order(), total_price: (Number(shopifyDk.total_price) + 5).toFixed(2) };
    await runBatch([{ body: delivery(integration.id, o) }]);
    const failed = await waitForOrder(integration.id, String(o.id));
    expect(failed.error.category).toBe("totals_mismatch");
    // The merchant deletes the mismatched draft in e-conomic, corrects the order and transfers again.
    fake.drafts.clear();
    fake.loseAnswer("GET", /^\/invoices\/drafts$/, "503"); // even the look-up is uncertain once
    await runBatch([{ body: delivery(integration.id, { ...o, total_price: shopifyDk.total_price, updated_at: new Date(Date.now() + 5000).toISOString() }, { isUpdate: true }) }]);
    await runBatch([{ body: { type: "transfer", integrationId: integration.id, shopOrderId: String(o.id) }, attempts: 2 }]);
    const entry = await waitForOrder(integration.id, String(o.id));
    expect(entry.status, JSON.stringify(entry.error)).toBe("transferred");
    expect(fake.drafts.size).toBe(1);
    expect(entry.document).toEqual({ type: "draft", number: String([...fake.drafts.keys()][0]) });
  });

  it("a transferred draft booked by the merchant meanwhile: the update records the booked invoice and changes nothing", async () => {
    const { integration } = await setup("shopify");
    const v1 = order();
    await runBatch([{ body: delivery(integration.id, v1) }]);
    const [draftNumber] = fake.drafts.keys();
    const booked = await fake.fetch(`${fake.origin}/invoices/booked`, {
      method: "POST",
      headers: { "X-AppSecretToken": fake.appSecretToken, "X-AgreementGrantToken": fake.agreementGrantToken, "Content-Type": "application/json" },
      body: JSON.stringify({ draftInvoice: { draftInvoiceNumber: draftNumber } }),
    });
    const { bookedInvoiceNumber } = (await booked.json()) as { bookedInvoiceNumber: number };
    const v2 = { ...v1, updated_at: new Date(Date.now() + 5000).toISOString() };
    expect((await runBatch([{ body: delivery(integration.id, v2, { isUpdate: true }) }])).explicitAcks).toHaveLength(1);
    const entry = await waitForOrder(integration.id, String(v1.id));
    expect(entry.status).toBe("transferred");
    expect(entry.document).toEqual({ type: "booked", number: String(bookedInvoiceNumber) });
    expect(outcomes(entry)).toEqual(["transferred", "already_transferred"]);
    expect(fake.booked.size).toBe(1);
    expect(fake.drafts.size).toBe(0);
  });
});

/**
 * The sandbox accounting system keeps its documents in D1, so an answer is lost by wrapping its session:
 * the step runs, then the caller sees an outage.
 */
describe("sandbox accounting: an answer lost after the effect", () => {
  const original = accountingAdapters.sandbox;
  afterEach(() => {
    accountingAdapters.sandbox = original;
  });
  function loseAnswerOf(step: "createDocument" | "completeDocument" | "updateDraft") {
    let lost = false;
    accountingAdapters.sandbox = {
      async open(ctx) {
        const session = await original.open(ctx);
        const real = session[step].bind(session) as (...args: unknown[]) => ReturnType<AccountingSession[typeof step]>;
        session[step] = async (...args: unknown[]) => {
          const result = await real(...args);
          if (lost) return result;
          lost = true;
          throw new TransferError("accounting_unavailable", "the answer was lost");
        };
        return session;
      },
    };
  }

  let n = 7000;
  async function sandboxIntegration(documentType: "draft" | "booked") {
    const t = await createTenant();
    const i = await createIntegration(t.id, {
      shop: { module: "woocommerce", settings: { siteUrl: "https://shop.example.com", consumerKey: "ck", consumerSecret: "cs", webhookSecret: "s" } },
      accounting: { module: "sandbox", settings: { documentType } },
    });
    await activate(i.id);
    return { tenant: t, integration: i };
  }
  const wooOrder = (at = new Date(Date.now() + 1000).toISOString()) => demoOrder(n, n++, {}, at);

  for (const documentType of ["draft", "booked"] as const) {
    it(`creating the document (${documentType}): the retry takes the document it finds, once`, async () => {
      const { tenant, integration } = await sandboxIntegration(documentType);
      loseAnswerOf("createDocument");
      const o = wooOrder();
      const msg = delivery(integration.id, o, { topic: "order.created" });
      expect((await runBatch([{ body: msg }])).retryMessages).toHaveLength(1);
      expect((await runBatch([{ body: msg, attempts: 2 }])).explicitAcks).toHaveLength(1);
      const docs = await sandboxDocuments(integration.id);
      expect(docs.map((d) => d.type)).toEqual([documentType]);
      const entry = await waitForOrder(integration.id, String(o.id));
      expect(entry.document).toEqual({ type: documentType, number: String(docs[0].number) });
      expect((await usage(tenant.id)).transferredOrders).toBe(1);
    });
  }

  it("updating and booking a draft an earlier attempt left: the retry finds it booked and records it, once", async () => {
    const { tenant, integration } = await sandboxIntegration("booked");
    // A first attempt left a draft (a total mismatch), corrected by an update: completing it is the uncertain step.
    const o = wooOrder();
    await postWoo(integration.id, { ...o, total: "999.00" }, "s");
    expect((await waitForOrder(integration.id, String(o.id))).error.category).toBe("totals_mismatch");
    loseAnswerOf("completeDocument");
    const fixed = { ...o, date_modified_gmt: new Date(Date.now() + 5000).toISOString().replace(/\.\d+Z$/, "") };
    const msg = delivery(integration.id, fixed, { isUpdate: true, topic: "order.updated" });
    expect((await runBatch([{ body: msg }])).retryMessages).toHaveLength(1);
    expect((await runBatch([{ body: msg, attempts: 2 }])).explicitAcks).toHaveLength(1);
    const docs = await sandboxDocuments(integration.id);
    expect(docs.map((d) => d.type)).toEqual(["booked"]);
    const entry = await waitForOrder(integration.id, String(o.id));
    expect(entry.status, JSON.stringify(entry.error)).toBe("transferred");
    expect(entry.document).toEqual({ type: "booked", number: String(docs[0].number) });
    expect((await usage(tenant.id)).transferredOrders).toBe(1);
  });

  it("updating a transferred draft (R7): the retry updates the same draft, once", async () => {
    const { integration } = await sandboxIntegration("draft");
    const o = wooOrder();
    await runBatch([{ body: delivery(integration.id, o, { topic: "order.created" }) }]);
    loseAnswerOf("updateDraft");
    const v2 = { ...o, customer_note: "second version", date_modified_gmt: new Date(Date.now() + 5000).toISOString().replace(/\.\d+Z$/, "") };
    const msg = delivery(integration.id, v2, { isUpdate: true, topic: "order.updated" });
    expect((await runBatch([{ body: msg }])).retryMessages).toHaveLength(1);
    expect((await runBatch([{ body: msg, attempts: 2 }])).explicitAcks).toHaveLength(1);
    const entry = await waitForOrder(integration.id, String(o.id));
    expect(entry.received.customer_note).toBe("second version");
    expect(outcomes(entry)).toEqual(["transferred", "draft_update_failed", "draft_updated"]);
    expect(await sandboxDocuments(integration.id)).toHaveLength(1);
  });
});

describe("our reference in the merchant's language", () => {
  it("writes \"Ordre …\" on a Danish merchant's document, and still finds a document an earlier attempt made with the English reference", async () => {
    const { tenant, integration } = await setup("shopify", { documentType: "draft" });
    const first = order();
    await runBatch([{ body: delivery(integration.id, first) }]);
    const made = [...fake.drafts.values()][0];
    expect(made.references?.other).toBe(`Ordre ${first.name} (id ${first.id}) ob:${integration.id}`);

    // An attempt before references were translated made the draft, and its answer was lost.
    const o = order();
    const msg = delivery(integration.id, o);
    fake.loseAnswer("POST", /^\/invoices\/drafts$/, "drop");
    expect((await runBatch([{ body: msg }])).retryMessages).toHaveLength(1);
    const lost = [...fake.drafts.values()].find((d) => d.references?.other?.includes(`(id ${o.id})`))!;
    lost.references = { other: `Order ${o.name} (id ${o.id}) ob:${integration.id}` };
    expect((await runBatch([{ body: msg, attempts: 2 }])).explicitAcks).toHaveLength(1);
    const entry = await waitForOrder(integration.id, String(o.id));
    expect(entry.document).toEqual({ type: "draft", number: String(lost.draftInvoiceNumber) });
    expect(fake.requests("POST", "/invoices/drafts")).toHaveLength(2);
    expect(fake.drafts.size).toBe(2);
    expect((await usage(tenant.id)).transferredOrders).toBe(2);
  });
});
