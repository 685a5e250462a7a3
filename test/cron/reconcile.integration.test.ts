import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { env } from "cloudflare:workers";
import { setOutboundFetch } from "../../src/lib/outbound";
import { demoOrder } from "../../src/modules/sandbox/shop";
import { handleMessage } from "../../src/queue";
import { TransferContext } from "../../src/transfers/transfer";
import { fakeShopify, fakeWooCommerce, shopifyOrderNode, shopRouter } from "../fakes/shops";
import { SHOPIFY_FILES_HOST } from "../fakes/shopify";
import { postWoo, sandboxDocuments, waitForOrder } from "../helpers";
import { activeIntegration, ledgerSummary, runScheduled, waitUntil } from "./cron-helpers";

const SECRET = "webhook-secret";

let router: ReturnType<typeof shopRouter>;
beforeEach(() => {
  router = shopRouter();
  setOutboundFetch(router.fetch);
});
afterEach(() => setOutboundFetch());

const later = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString();

describe("reconciliation of webhook shops (the hourly sweep)", () => {
  it("finds a WooCommerce order whose webhook was never sent; an order delivered by webhook is not transferred again (R7)", async () => {
    const woo = fakeWooCommerce();
    router.routes.set("sweep.woo.example.com", woo.fetch);
    const i = await activeIntegration({
      module: "woocommerce",
      settings: { siteUrl: "https://sweep.woo.example.com", consumerKey: "ck_x", consumerSecret: "cs_x", webhookSecret: SECRET },
    });
    const delivered = demoOrder(9101, 9101, {}, later(i.startAt, 1));
    const lost = demoOrder(9102, 9102, {}, later(i.startAt, 2));
    const beforeActivation = demoOrder(9103, 9103, {}, later(i.startAt, -3600)); // R3: never the sweep's business
    for (const o of [delivered, lost, beforeActivation]) woo.put(o);
    expect((await postWoo(i.id, delivered, SECRET)).status).toBe(200);
    await waitForOrder(i.id, "9101", (e) => e.status === "transferred");

    await runScheduled(0);
    const found = await waitForOrder(i.id, "9102", (e) => e.status === "transferred");
    expect(found).toMatchObject({ source: "poll", orderNumber: "9102", document: { type: "draft" } });
    await runScheduled(0); // the next sweep reads the same orders again
    await vi.waitFor(() => expect(router.requests.filter((r) => r.url.host === "sweep.woo.example.com").length).toBeGreaterThanOrEqual(2), { timeout: 15000, interval: 100 });
    await new Promise((r) => setTimeout(r, 500)); // what the second sweep read is recorded
    const s = await ledgerSummary(i.id);
    expect(s.transfersPerOrder).toEqual({ 9101: 1, 9102: 1 });
    expect(s.rows).toBe(2);
    expect(await sandboxDocuments(i.id)).toHaveLength(2);

    const asked = router.requests.filter((r) => r.url.host === "sweep.woo.example.com");
    expect(asked.length).toBeGreaterThanOrEqual(2);
    const q = asked[0].url.searchParams;
    expect(q.get("modified_after")! < i.startAt.slice(0, 19)).toBe(true); // from the start point on (inclusive)
    expect(Date.parse(`${q.get("modified_after")}Z`)).toBeGreaterThan(Date.parse(i.startAt) - 2000);
    expect(Object.fromEntries(["dates_are_gmt", "orderby", "order", "per_page"].map((k) => [k, q.get(k)]))).toEqual({ dates_are_gmt: "true", orderby: "date", order: "asc", per_page: "100" });
  });

  it("finds Shopify orders through the GraphQL Admin API, page by page, converted to the webhook's order shape", async () => {
    const shopify = fakeShopify();
    router.routes.set("shopify.fake", shopify.fetch);
    const i = await activeIntegration({
      module: "shopify",
      settings: { shopDomain: "demo-shop.myshopify.com", accessToken: "shpat_x", webhookSecret: SECRET },
    });
    for (let n = 1; n <= 5; n++)
      shopify.put(shopifyOrderNode(5001000 + n, { createdAt: later(i.startAt, n), financialStatus: n === 3 ? "PENDING" : "PAID" }));

    await runScheduled(0);
    await waitUntil(async () => expect((await ledgerSummary(i.id)).byStatus("transferred")).toEqual(["5001001", "5001002", "5001004", "5001005"]));
    const entry = await waitForOrder(i.id, "5001001");
    expect(entry).toMatchObject({ orderNumber: "#1001", source: "poll", status: "transferred" });
    expect(entry.received).toMatchObject({ id: 5001001, financial_status: "paid", currency: "DKK", billing_address: { country_code: "DK" }, line_items: [{ sku: "SKU-1", quantity: 2, price: "100.00" }] });
    expect((await waitForOrder(i.id, "5001003")).reason).toBe("state_not_allowed");

    // Two pages (the cost limit keeps a page small), both with the token and a range on updated_at.
    expect(shopify.state.queries.length).toBeGreaterThanOrEqual(2);
    expect(shopify.state.queries[0].query).toContain("sortKey: UPDATED_AT");
    expect(shopify.state.queries[0].variables.query).toMatch(/^updated_at:>='[^']+'$/);
    expect(shopify.state.queries[1].variables.after).toBeTruthy();
  });

  it("a sweep of many changed Shopify orders goes on with one bulk export after a few pages: every order once", async () => {
    // Its own token: the sweeps of this file's other integrations get 401 here and are not counted.
    const shopify = fakeShopify({ accessToken: "shpat_busy", bulkMs: 200, restoreRate: 1000 });
    router.routes.set("shopify.fake", shopify.fetch);
    router.routes.set(SHOPIFY_FILES_HOST, shopify.fetch);
    const i = await activeIntegration({
      module: "shopify",
      settings: { shopDomain: "busy-shop.myshopify.com", accessToken: "shpat_busy", webhookSecret: SECRET },
    });
    for (let n = 1; n <= 40; n++) shopify.put(shopifyOrderNode(5002000 + n, { createdAt: later(i.startAt, n) }));
    await runScheduled(0);
    await waitUntil(async () => expect((await ledgerSummary(i.id)).byStatus("transferred")).toHaveLength(40), 60_000);
    // Three pages of two, then the export of the window (its first six orders passed over as known).
    expect(shopify.state.queries.filter((q) => /query Orders/.test(q.query))).toHaveLength(3);
    expect(shopify.bulkOperations()).toHaveLength(1);
    expect(shopify.state.queries.find((q) => /bulkOperationRunQuery/.test(q.query))!.variables.query).toContain("sortKey: UPDATED_AT");
    expect(Object.values((await ledgerSummary(i.id)).transfersPerOrder).every((n) => n === 1)).toBe(true);
    expect(await sandboxDocuments(i.id)).toHaveLength(40);
  }, 90_000);

  it("a throttled Shopify query waits as long as the cost bucket needs (Retry-After style)", async () => {
    // Another app spent the shop's bucket, restored at 50 points/s: longer than a consumer waits in place.
    // (A shop of its own: our budget for it is full, so the query goes out at once.)
    const shopify = fakeShopify({ restoreRate: 50 });
    router.routes.set("shopify.fake", shopify.fetch);
    const i = await activeIntegration({
      module: "shopify",
      settings: { shopDomain: "throttled-shop.myshopify.com", accessToken: "shpat_x", webhookSecret: SECRET },
    });
    shopify.drain();
    const outcome = await handleMessage(new TransferContext(env), { type: "reconcile", integrationId: i.id }, 1);
    const requested = shopify.state.queries[0].requested;
    if (outcome.done) throw new Error("the throttled sweep should come back later");
    // (requested − available) / restoreRate, the available points having refilled for a moment at most.
    expect(outcome.delaySeconds).toBeGreaterThanOrEqual(Math.ceil((requested - 5) / 50));
    expect(outcome.delaySeconds).toBeLessThanOrEqual(Math.ceil(requested / 50));
  });
});
