import { afterEach, describe, expect, it } from "vitest";
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
const runBulks = (shopify: ReturnType<typeof fakeShopify>) => shopify.state.queries.filter((q) => /bulkOperationRunQuery/.test(q.query));

describe("a Shopify import under Shopify's documented cost limits", () => {
  it("preflight and run each read one bulk export, the test transfer reads one order in a drained bucket; throttling never fails anything", async () => {
    const { shopify, integration, importId } = await shopWith(120);
    shopify.state.throttleNext = 2; // the export's start meets THROTTLED twice
    await call("POST", `/api/staff/imports/${importId}/preflight`);
    const pf = await waitImport(importId, (x) => x.preflight?.status === "done");
    expect(pf.preflight).toEqual({ status: "done", ordersFound: 120, errorsByCategory: {} });
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
});
