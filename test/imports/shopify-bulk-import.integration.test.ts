import { afterEach, describe, expect, it, vi } from "vitest";
import { setOutboundFetch } from "../../src/lib/outbound";
import { fakeShopify, SHOPIFY_FILES_HOST, type FakeShopifyOptions } from "../fakes/shopify";
import { shopifyOrderNode, shopRouter } from "../fakes/shops";
import { activate, call, createIntegration, createTenant, sandboxDocuments, waitImport } from "../helpers";

afterEach(() => setOutboundFetch());
const DAY = 86400_000;


let seq = 0;
/** A Shopify integration (sandbox books) and a fake Shopify with the documented limits holding `n` earlier orders. */
async function shopWith(n: number, opts: FakeShopifyOptions = {}) {
  const shopify = fakeShopify({ bulkMs: 300, ...opts });
  const router = shopRouter();
  let fileReads = 0;
  const hooks = { beforeFileRead: (_n: number) => {} };
  router.routes.set("shopify.fake", shopify.fetch);
  router.routes.set(SHOPIFY_FILES_HOST, (input, init) => {
    hooks.beforeFileRead(++fileReads);
    return shopify.fetch(input, init);
  });
  setOutboundFetch(router.fetch);
  const t = await createTenant();
  const i = await createIntegration(t.id, {
    shop: { module: "shopify", settings: { shopDomain: `bulk-${++seq}-${Date.now()}.myshopify.com`, accessToken: "shpat_x", webhookSecret: "w" } },
    accounting: { module: "sandbox", settings: {} },
  });
  await activate(i.id);
  for (let k = 1; k <= n; k++) shopify.put(shopifyOrderNode(5000000 + k, { createdAt: new Date(Date.now() - 20 * DAY + k * 60_000).toISOString() }));
  const fromDate = new Date(Date.now() - 30 * DAY).toISOString().slice(0, 10);
  const { id } = (await call("POST", "/api/staff/imports", { integrationId: i.id, fromDate, estimatedOrders: n })).json;
  return { shopify, integration: i, importId: id, hooks };
}
/** A Shopify refund node (GraphQL): `qty` of the order's SKU-1 line at 100 + 25 % VAT, and the shipping when `shipping`. */
function refundNode(id: number, orderId: number, at: string, qty: number, shipping: boolean) {
  const money = (amount: string) => ({ shopMoney: { amount }, presentmentMoney: { amount } });
  const total = qty * 125 + (shipping ? 48.75 : 0);
  return {
    id: `gid://shopify/Refund/${id}`,
    createdAt: at,
    totalRefundedSet: money(total.toFixed(2)),
    refundLineItems: { nodes: [{ quantity: qty, subtotalSet: money((qty * 100).toFixed(2)), totalTaxSet: money((qty * 25).toFixed(2)), lineItem: { id: `gid://shopify/LineItem/${orderId}1`, sku: "SKU-1", name: "Demo T-shirt" } }] },
    refundShippingLines: { nodes: shipping ? [{ subtotalAmountSet: money("39.00"), taxAmountSet: money("9.75") }] : [] },
  };
}

const runBulks = (shopify: ReturnType<typeof fakeShopify>) => shopify.state.queries.filter((q) => /bulkOperationRunQuery/.test(q.query));

describe("a Shopify import under Shopify's documented cost limits", () => {
  it("preflight and run each read one bulk export, the test transfer reads one order in a drained bucket; throttling never fails anything", async () => {
    const { shopify, integration, importId } = await shopWith(120);
    shopify.state.throttleNext = 2; // the export's start meets THROTTLED twice
    await call("POST", `/api/staff/imports/${importId}/preflight`);
    const pf = await waitImport(importId, (x) => x.preflight?.status === "done");
    expect(pf.preflight).toEqual({ status: "done", ordersFound: 120, refundsFound: 0, errorsByCategory: {} });
    expect(runBulks(shopify)).toHaveLength(3); // throttled twice, then started
    // Another app spent the whole bucket: the staff call waits for the one order it reads, never a 4xx.
    shopify.drain();
    const tt = await call("POST", `/api/staff/imports/${importId}/test-transfer`);
    expect(tt.status).toBe(200);
    expect(tt.json.testTransfer).toMatchObject({ orderId: "5000001", status: "transferred" });
    const reads = shopify.state.queries.filter((q) => /OrderById/.test(q.query));
    expect(reads.length).toBeGreaterThanOrEqual(2); // THROTTLED in the drained bucket, then read
    expect(reads.every((q) => q.variables.id === "gid://shopify/Order/5000001")).toBe(true);
    expect(shopify.state.queries.some((q) => /query Orders/.test(q.query))).toBe(false); // no pages
    await call("POST", `/api/staff/imports/${importId}/approve`, { note: "ok" });
    shopify.state.throttleNext = 1;
    await call("POST", `/api/staff/imports/${importId}/start`);
    const done = await waitImport(importId, (x) => x.status === "completed");
    expect(done.progress).toMatchObject({ found: 120, transferred: 120, failed: 0, skipped: 0, pending: 0 });
    expect(await sandboxDocuments(integration.id)).toHaveLength(120);
    expect(shopify.bulkOperations().map((o) => o.status)).toEqual(["COMPLETED", "COMPLETED"]);
    expect(Math.max(...shopify.state.queries.map((q) => q.requested))).toBeLessThanOrEqual(1000);
    expect(shopify.state.throttled).toBeGreaterThanOrEqual(3);
  }, 180_000);

  it("an export refused for lack of read_all_orders: the preflight says so, with the fix", async () => {
    const { shopify, importId } = await shopWith(30);
    shopify.state.failNextBulk = { errorCode: "ACCESS_DENIED" };
    await call("POST", `/api/staff/imports/${importId}/preflight`);
    const pf = await waitImport(importId, (x) => x.preflight?.status === "done");
    expect(pf.preflight.shopError).toMatch(/read_all_orders.*older than 60 days.*Grant orderbridge access/);
  }, 60_000);

  it("an export that fails during the run pauses shop_unavailable with the reason; resume starts a new export and takes no order twice", async () => {
    const { shopify, integration, importId, hooks } = await shopWith(230);
    expect((await call("POST", `/api/staff/imports/${importId}/test-transfer`)).json.testTransfer.status).toBe("transferred");
    await call("POST", `/api/staff/imports/${importId}/approve`, { note: "ok" });
    // The second piece of the file: the storage link has expired.
    hooks.beforeFileRead = (n) => {
      if (n === 2) shopify.expireFiles();
    };
    await call("POST", `/api/staff/imports/${importId}/start`);
    const paused = await waitImport(importId, (x) => x.status === "paused");
    expect(paused.pauseReason).toBe("shop_unavailable");
    expect(paused.pauseMessage).toMatch(/could not be read.*expired.*Resume the import/);
    expect(paused.progress.found).toBe(100);
    shopify.state.filesExpired = false;
    expect((await call("POST", `/api/staff/imports/${importId}/resume`)).status).toBe(200);
    const done = await waitImport(importId, (x) => x.status === "completed");
    expect(done.pauseMessage).toBeUndefined();
    expect(done.progress).toMatchObject({ found: 230, transferred: 230, failed: 0, pending: 0 });
    expect(await sandboxDocuments(integration.id)).toHaveLength(230);
    // The new export began at the last order taken, not at the start of the range.
    const [first, second] = runBulks(shopify).map((q) => String(q.variables.query));
    expect(second).not.toBe(first);
    const resumedFrom = /created_at:>='([^']+)'/.exec(second)![1];
    expect(Date.parse(resumedFrom)).toBeGreaterThan(Date.now() - 20 * DAY + 99 * 60_000);
  }, 180_000);

  it("earlier orders with refunds are imported as invoice and credit notes in the same run (R22), from the export's refund lines", async () => {
    const { shopify, integration, importId } = await shopWith(30);
    const node = (id: number) => shopify.orders.get(`gid://shopify/Order/${id}`)!;
    const at = (id: number) => new Date(Date.parse(node(id).createdAt) + 3600_000).toISOString();
    // Order 3: one of two shirts given back; order 7: everything, shipping too, in two refunds.
    Object.assign(node(5000003), { displayFinancialStatus: "PARTIALLY_REFUNDED", refunds: [refundNode(901, 5000003, at(5000003), 1, false)] });
    Object.assign(node(5000007), { displayFinancialStatus: "REFUNDED", refunds: [refundNode(902, 5000007, at(5000007), 1, false), refundNode(903, 5000007, at(5000007), 1, true)] });
    // The preflight says how many refunds come along (R22).
    await call("POST", `/api/staff/imports/${importId}/preflight`);
    expect((await waitImport(importId, (x) => x.preflight?.status === "done")).preflight).toMatchObject({ ordersFound: 30, refundsFound: 3 });
    expect((await call("POST", `/api/staff/imports/${importId}/test-transfer`)).json.testTransfer.status).toBe("transferred");
    await call("POST", `/api/staff/imports/${importId}/approve`, { note: "ok" });
    await call("POST", `/api/staff/imports/${importId}/start`);
    await waitImport(importId, (x) => x.status === "completed");
    const entry = async (id: number) =>
      vi.waitFor(
        async () => {
          const e = (await call("GET", `/api/staff/integrations/${integration.id}/orders/${id}`)).json;
          if (e.creditNotes.some((n: any) => n.status !== "transferred")) throw new Error(JSON.stringify(e.creditNotes));
          return e;
        },
        { timeout: 30_000, interval: 250 },
      );
    const three = await entry(5000003);
    expect(three.status).toBe("transferred");
    expect(three.creditNotes.map((n: any) => [n.refundId, n.status, n.amount])).toEqual([["901", "transferred", 12500]]);
    const seven = await entry(5000007);
    expect(seven.creditNotes.map((n: any) => [n.refundId, n.amount]).sort()).toEqual([["902", 12500], ["903", 17375]]);
    expect(shopify.bulkOperations()).toHaveLength(2); // the preflight's export and the run's
    // The report counts them; billing does not (R23).
    const report = (await call("GET", `/api/staff/imports/${importId}`)).json;
    expect(report.progress.creditNotes).toEqual({ transferred: 3, failed: 0 });
    expect(report.progress).toMatchObject({ found: 30, transferred: 30, failed: 0 });
  }, 120_000);
});
