import { ECONOMIC_LIMITS } from "../../src/modules/economic/adapter";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { sha256Hex } from "../../src/lib/crypto";
import { setOutboundFetch } from "../../src/lib/outbound";
import { handleMessage } from "../../src/queue";
import { backoffSeconds, TransferContext } from "../../src/transfers/transfer";
import { FakeEconomic } from "../fakes/economic";
import shopifyDk from "../fixtures/shopify/own-dk-25-taxes-included-discount-shipping.json";
import wooDk from "../fixtures/woocommerce/own-dk-25-coupon-free-shipping.json";
import { call, economicSettingsComplete, postShopify, postWoo, waitForOrder } from "../helpers";
import { delivery, runBatch, setup, soon, usage } from "./transfer-helpers";

const goods = { productGroupNumber: 1 };
let fake: FakeEconomic;
beforeEach(() => {
  fake = new FakeEconomic({
    products: ["MUG-01", "TEE-RED-M", "SKU-1", "SHIP"].map((productNumber) => ({ productNumber, name: productNumber, salesPrice: 100, productGroup: goods })),
  });
  setOutboundFetch(fake.fetch);
});
afterEach(() => setOutboundFetch());

describe("end to end into a fake e-conomic", () => {
  it("a Shopify order (sample payload) becomes one draft invoice with the order's reference", async () => {
    const { tenant, integration } = await setup("shopify");
    const order = { ...shopifyDk, created_at: soon(), updated_at: soon() };
    expect((await postShopify(integration.id, order, "shp-secret")).status).toBe(200);
    const entry = await waitForOrder(integration.id, String(shopifyDk.id));
    expect(entry.status, JSON.stringify(entry.error)).toBe("transferred");
    expect(entry.document.type).toBe("draft");
    expect(fake.drafts.size).toBe(1);
    const draft = [...fake.drafts.values()][0];
    expect(draft.references?.other).toContain(shopifyDk.name);
    expect(draft.references?.other).toContain(String(shopifyDk.id));
    expect(draft.recipient.vatZone.vatZoneNumber).toBe(economicSettingsComplete.vatZones.domestic);
    expect(draft.lines.map((l) => l.product?.productNumber)).toEqual(expect.arrayContaining(["MUG-01", "TEE-RED-M", "SHIP"]));
    expect(entry.sent.references.other).toBe(draft.references?.other);
    expect((await usage(tenant.id)).transferredOrders).toBe(1);
  });

  it("a Shopify redelivery of the same event (X-Shopify-Event-Id) is recognised and dropped before the intake", async () => {
    const { integration } = await setup("shopify");
    const order = { ...shopifyDk, id: 9040, created_at: soon(), updated_at: soon() };
    expect((await postShopify(integration.id, order, "shp-secret", { eventId: "ev-9040" })).status).toBe(200);
    await waitForOrder(integration.id, "9040");
    expect((await postShopify(integration.id, order, "shp-secret", { eventId: "ev-9040" })).status).toBe(200);
    expect((await postShopify(integration.id, order, "shp-secret", { eventId: "ev-9040-b", topic: "orders/paid" })).status).toBe(200);
    // The other event (orders/paid) reaches the intake and is recorded as already transferred; the repeat does not.
    const entry = await waitForOrder(integration.id, "9040", (e) => e.attempts.length === 2);
    expect(entry.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(["transferred", "already_transferred"]);
    await new Promise((r) => setTimeout(r, 2500)); // every message of the three deliveries has been handled
    const keys = await env.DB.prepare("SELECT dedupe_key FROM deliveries WHERE integration_id = ? ORDER BY dedupe_key").bind(integration.id).all();
    expect(keys.results).toEqual([{ dedupe_key: "event:ev-9040" }, { dedupe_key: "event:ev-9040-b" }]);
    expect((await waitForOrder(integration.id, "9040", () => true)).attempts).toHaveLength(2);
    expect(fake.drafts.size).toBe(1);
  });

  it("a WooCommerce order (sample payload) is booked when documentType is booked", async () => {
    const { integration } = await setup("woocommerce", { documentType: "booked" });
    const at = soon().replace(/\.\d+Z$/, "");
    const order = { ...wooDk, date_created_gmt: at, date_modified_gmt: at };
    expect((await postWoo(integration.id, order, "woo-secret")).status).toBe(200);
    const entry = await waitForOrder(integration.id, String(wooDk.id));
    expect(entry.status, JSON.stringify(entry.error)).toBe("transferred");
    expect(entry.document.type).toBe("booked");
    expect(fake.booked.size).toBe(1);
  });

  it("429s with Retry-After are retried with backoff, then exactly one document is created and counted", async () => {
    const { tenant, integration } = await setup("shopify");
    const order = { ...shopifyDk, id: 9001, created_at: soon(), updated_at: soon() };
    const msg = delivery(integration.id, order);
    fake.failNext(3, { status: 429, retryAfter: 7 }); // the three master-data GETs of the session
    // The outcome the consumer gives the queue: retry, no sooner than Retry-After.
    const first = await handleMessage(new TransferContext(env), msg, 1);
    expect(first).toEqual({ done: false, delaySeconds: 7 });
    const row = await waitForOrder(integration.id, "9001", () => true);
    expect(row.status).toBe("pending");
    expect(row.attempts.at(-1)).toMatchObject({ outcome: "retry", category: "accounting_unavailable" });
    const second = await runBatch([{ body: msg, attempts: 2 }]);
    expect(second.explicitAcks).toHaveLength(1);
    expect((await waitForOrder(integration.id, "9001")).status).toBe("transferred");
    expect(fake.drafts.size).toBe(1);
    expect((await usage(tenant.id)).transferredOrders).toBe(1);
  });

  it("the agreement's shared request budget: when it is used up, nothing is sent and the order is retried later", async () => {
    const grant = `grant-${crypto.randomUUID()}`;
    fake = new FakeEconomic({ agreementGrantToken: grant, products: [{ productNumber: "MUG-01", name: "Mug", salesPrice: 1, productGroup: goods }] });
    setOutboundFetch(fake.fetch);
    const { integration } = await setup("shopify", { agreementGrantToken: grant });
    // Another Worker (e.g. an import) used the agreement's whole burst a moment ago.
    const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`economic:${await sha256Hex(grant)}`));
    expect((await limiter.take(2000, 0, ECONOMIC_LIMITS)).granted).toBe(true);
    await limiter.take(300, 10_000, ECONOMIC_LIMITS); // and queued 10 s worth behind it
    const outcome = await handleMessage(new TransferContext(env), delivery(integration.id, { ...shopifyDk, id: 9020, created_at: soon(), updated_at: soon() }), 1);
    expect(outcome.done).toBe(false);
    expect((outcome as { delaySeconds: number }).delaySeconds).toBeGreaterThanOrEqual(10);
    expect(fake.log).toHaveLength(0);
    expect((await waitForOrder(integration.id, "9020", () => true)).status).toBe("pending");
  });

  it("backoff is exponential and never undercuts Retry-After", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffSeconds(n))).toEqual([2, 4, 8, 16, 32, 64]);
    expect(backoffSeconds(2, 30)).toBe(30);
    expect(backoffSeconds(20)).toBe(900);
  });

  it("a crash after the document was created (answer lost) does not create a second document", async () => {
    const { tenant, integration } = await setup("shopify");
    const order = { ...shopifyDk, id: 9002, created_at: soon(), updated_at: soon() };
    const msg = delivery(integration.id, order);
    fake.dropResponseAfterCreate();
    const first = await runBatch([{ body: msg }]);
    expect(first.retryMessages).toHaveLength(1);
    expect(fake.drafts.size).toBe(1);
    const second = await runBatch([{ body: msg, attempts: 2 }]);
    expect(second.explicitAcks).toHaveLength(1);
    expect(fake.drafts.size).toBe(1);
    const entry = await waitForOrder(integration.id, "9002");
    expect(entry.status).toBe("transferred");
    expect(entry.document.number).toBe(String([...fake.drafts.keys()][0]));
    // The same message delivered once more changes nothing.
    await runBatch([{ body: msg, attempts: 1 }]);
    expect(fake.drafts.size).toBe(1);
    expect((await usage(tenant.id)).transferredOrders).toBe(1);
  });

  it("after the last retry the order shows failed / accounting_unavailable and the message goes on to the dead-letter queue", async () => {
    const { tenant, integration } = await setup("shopify");
    const order = { ...shopifyDk, id: 9003, created_at: soon(), updated_at: soon() };
    fake.failNext(10, { status: 503 });
    const last = await runBatch([{ body: delivery(integration.id, order), attempts: 7 }]);
    expect(last.retryMessages).toHaveLength(1); // retries exhausted: the queue moves it to the DLQ
    const entry = await waitForOrder(integration.id, "9003");
    expect(entry.status).toBe("failed");
    expect(entry.error.category).toBe("accounting_unavailable");
    expect(fake.writes()).toHaveLength(0);
    expect((await usage(tenant.id)).transferredOrders).toBe(0);
  });

  it("totals that differ beyond the threshold: a draft with totals_mismatch, failed, and not counted (R9)", async () => {
    const { tenant, integration } = await setup("shopify");
    const total = (Number(shopifyDk.total_price) + 5).toFixed(2);
    const r = await runBatch([{ body: delivery(integration.id, { ...shopifyDk, id: 9030, total_price: total, created_at: soon(), updated_at: soon() }) }]);
    expect(r.explicitAcks).toHaveLength(1);
    const entry = await waitForOrder(integration.id, "9030");
    expect(entry.status).toBe("failed");
    expect(entry.error.category).toBe("totals_mismatch");
    expect(entry.document.type).toBe("draft"); // the draft is there for the merchant to check
    expect(fake.drafts.size).toBe(1);
    expect(fake.booked.size).toBe(0);
    expect((await usage(tenant.id)).transferredOrders).toBe(0);
  });

  it("a booking that fails once is completed on the retry: one booked invoice, no draft left behind", async () => {
    const { tenant, integration } = await setup("shopify", { documentType: "booked" });
    let failBooking = true;
    setOutboundFetch(async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (failBooking && url.endsWith("/invoices/booked") && (init?.method ?? "GET") === "POST") {
        failBooking = false;
        return new Response(JSON.stringify({ message: "Service unavailable", httpStatusCode: 503 }), { status: 503 });
      }
      return fake.fetch(input, init);
    });
    const msg = delivery(integration.id, { ...shopifyDk, id: 9050, created_at: soon(), updated_at: soon() });
    expect((await runBatch([{ body: msg }])).retryMessages).toHaveLength(1);
    expect(fake.drafts.size).toBe(1);
    expect((await runBatch([{ body: msg, attempts: 2 }])).explicitAcks).toHaveLength(1);
    const entry = await waitForOrder(integration.id, "9050");
    expect(entry.status).toBe("transferred");
    expect(entry.document.type).toBe("booked");
    expect(fake.booked.size).toBe(1);
    expect(fake.drafts.size).toBe(0);
    expect((await usage(tenant.id)).transferredOrders).toBe(1);
  });

  it("R6 after totals_mismatch: the update corrects the draft it left (no second document); transfer again does the same (R8)", async () => {
    const { tenant, integration } = await setup("shopify");
    const base = { ...shopifyDk, id: 9060, created_at: soon(), updated_at: soon() };
    const wrongTotal = (Number(shopifyDk.total_price) + 5).toFixed(2);
    await runBatch([{ body: delivery(integration.id, { ...base, total_price: wrongTotal }) }]);
    expect((await waitForOrder(integration.id, "9060")).error.category).toBe("totals_mismatch");
    expect(fake.drafts.size).toBe(1);
    // The merchant corrects the order in the shop: an update (R6).
    const fixed = { ...base, updated_at: new Date(Date.now() + 5000).toISOString() };
    await runBatch([{ body: delivery(integration.id, fixed, { isUpdate: true }) }]);
    const entry = await waitForOrder(integration.id, "9060");
    expect(entry.status).toBe("transferred");
    expect(entry.document).toEqual({ type: "draft", number: String([...fake.drafts.keys()][0]) });
    expect(fake.drafts.size).toBe(1);
    expect(fake.requests("PUT").length).toBe(1);
    expect((await usage(tenant.id)).transferredOrders).toBe(1);

    // Another order left a mismatched draft; "transfer again" after allowing a rounding line completes it.
    const other = { ...shopifyDk, id: 9061, created_at: soon(), updated_at: soon(), total_price: (Number(shopifyDk.total_price) + 0.3).toFixed(2) };
    await runBatch([{ body: delivery(integration.id, other) }]);
    expect((await waitForOrder(integration.id, "9061")).error.category).toBe("totals_mismatch");
    await call("PATCH", `/api/staff/integrations/${integration.id}`, { accounting: { settings: { roundingProductNumber: "SHIP", roundingThreshold: 50 } } });
    expect((await call("POST", `/api/staff/integrations/${integration.id}/orders/9061/transfer-again`)).status).toBe(202);
    const again = await waitForOrder(integration.id, "9061", (e) => e.status === "transferred");
    expect(fake.drafts.size).toBe(2);
    expect(again.document.number).toBe(String([...fake.drafts.keys()][1]));
    expect((await usage(tenant.id)).transferredOrders).toBe(2);
  });

  it("R7: an update that arrives while the order is being transferred updates the draft afterwards (not lost)", async () => {
    const { integration } = await setup("shopify");
    const v1 = { ...shopifyDk, id: 9070, created_at: soon(), updated_at: soon() };
    const v2 = { ...v1, updated_at: new Date(Date.now() + 5000).toISOString(), note: "second version" };
    const update = delivery(integration.id, v2, { isUpdate: true });
    let during: unknown;
    setOutboundFetch(async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (during === undefined && url.endsWith("/invoices/drafts") && init?.method === "POST") during = await handleMessage(new TransferContext(env), update, 1);
      return fake.fetch(input, init);
    });
    await runBatch([{ body: delivery(integration.id, v1) }]);
    expect(during).toEqual({ done: false, delaySeconds: 30 }); // the transfer held the order
    expect(fake.requests("PUT")).toHaveLength(0);
    await runBatch([{ body: update, attempts: 2 }]);
    const entry = await waitForOrder(integration.id, "9070", (e) => e.attempts.some((a: { outcome: string }) => a.outcome === "draft_updated"));
    expect(entry.received.note).toBe("second version");
    expect(fake.requests("PUT")).toHaveLength(1);
    expect(fake.drafts.size).toBe(1);
  });

  it("credentials refused: failed at once with accounting_auth_failed, no pointless retries", async () => {
    const { integration } = await setup("shopify", { agreementGrantToken: "revoked" });
    const r = await runBatch([{ body: delivery(integration.id, { ...shopifyDk, id: 9004, created_at: soon(), updated_at: soon() }) }]);
    expect(r.explicitAcks).toHaveLength(1);
    const entry = await waitForOrder(integration.id, "9004");
    expect(entry.error.category).toBe("accounting_auth_failed");
  });

  it("one bad order never holds back the batch; master data is loaded once per batch", async () => {
    const { integration } = await setup("shopify");
    const good = (id: number) => ({ ...shopifyDk, id, created_at: soon(), updated_at: soon() });
    const bad = { ...good(9010), line_items: shopifyDk.line_items.map((l) => ({ ...l, sku: "UNKNOWN-SKU" })) };
    const messages = [good(9011), bad, good(9012), good(9013), { id: "x", created_at: "never" }].map((o) => ({ body: delivery(integration.id, o) }));
    const r = await runBatch(messages);
    expect(r.explicitAcks).toHaveLength(5);
    expect(r.retryMessages).toHaveLength(0);
    expect((await waitForOrder(integration.id, "9010")).error.category).toBe("product_missing");
    expect((await waitForOrder(integration.id, "x")).error.category).toBe("invalid_order");
    for (const id of ["9011", "9012", "9013"]) expect((await waitForOrder(integration.id, id)).status).toBe("transferred");
    expect(fake.requests("GET", "/vat-zones")).toHaveLength(1);
    expect(fake.requests("GET", "/accounting-years")).toHaveLength(1);
    expect(fake.drafts.size).toBe(3);
  });
});
