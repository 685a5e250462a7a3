import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { getDb } from "../../../src/db/client";
import { readPage } from "../../../src/transfers/shop-pages";
import { bulkOrdersQuery, ordersPageCost, ordersQuery, shopifyClient } from "../../../src/modules/shopify/client";
import { fakeShopify, parseSelection, requestedCost, SHOPIFY_FILES_HOST, type FakeShopifyOptions } from "../../fakes/shopify";
import { shopifyOrderNode, shopRouter } from "../../fakes/shops";

type Obj = Record<string, any>;
let shopSeq = 0;

function setup(opts: FakeShopifyOptions = {}) {
  const shopify = fakeShopify(opts);
  const router = shopRouter();
  router.routes.set("shopify.fake", shopify.fetch);
  router.routes.set(SHOPIFY_FILES_HOST, shopify.fetch);
  // Each test its own shop, so its own budget in the shared limiter.
  const settings = { shopDomain: `limits-${++shopSeq}-${Date.now()}.myshopify.com`, accessToken: "shpat_x" };
  const client = () => shopifyClient({ integrationId: "int_x", settings, env, db: getDb(env), fetch: router.fetch });
  return { shopify, router, client };
}

const at = (minute: number) => new Date(Date.parse("2026-03-01T10:00:00Z") + minute * 60_000).toISOString();
const order = (id: number, createdAt: string, lines = 1) => {
  const n = shopifyOrderNode(id, { createdAt });
  n.lineItems.nodes = Array.from({ length: lines }, (_, i) => ({ ...n.lineItems.nodes[0], name: `Line ${i + 1}` }));
  return n;
};
const range = { by: "created" as const, from: "2026-01-01T00:00:00Z", to: "2026-06-01T00:00:00Z" };

describe("the fake Shopify enforces the documented cost limits", () => {
  it("computes a query's requested cost from the query: the client's page fits under the 1,000 a query may ask", () => {
    const page = requestedCost(parseSelection(ordersQuery("created")), { first: 2 });
    expect(page).toBeGreaterThan(800);
    expect(page).toBeLessThanOrEqual(1000);
    // The client's own estimate is within a few points of the fake's count.
    expect(Math.abs(ordersPageCost(2) - page)).toBeLessThan(10);
    expect(requestedCost(parseSelection(ordersQuery("created")), { first: 3 })).toBeGreaterThan(1000);
  });

  it("refuses a query over 1,000 points (MAX_COST_EXCEEDED) and answers THROTTLED when the bucket is short", async () => {
    const { shopify, client } = setup({ restoreRate: 500 });
    shopify.put(order(5000001, at(1)));
    const body = (first: number) => ({ method: "POST", headers: { "x-shopify-access-token": "shpat_x" }, body: JSON.stringify({ query: ordersQuery("created"), variables: { first } }) });
    const tooBig = (await (await shopify.fetch("https://shopify.fake/admin/api/2026-01/graphql.json", body(10))).json()) as Obj;
    expect(tooBig.errors[0].extensions.code).toBe("MAX_COST_EXCEEDED");
    shopify.drain();
    const throttled = (await (await shopify.fetch("https://shopify.fake/admin/api/2026-01/graphql.json", body(2))).json()) as Obj;
    expect(throttled.errors[0].extensions.code).toBe("THROTTLED");
    expect(throttled.extensions.cost.throttleStatus).toMatchObject({ maximumAvailable: 2000, restoreRate: 500 });
    // The client waits it out ((requested − available) / restoreRate) and gets the page.
    shopify.drain();
    const page = await client().listOrders({ ...range });
    expect(page.orders).toHaveLength(1);
    expect(shopify.state.throttled).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it("an order with more line items than a query may ask arrives whole through paged queries, each under the limit", async () => {
    const { shopify, client } = setup({ restoreRate: 1000 });
    shopify.put(order(5000001, at(1), 120));
    const page = await client().listOrders({ ...range });
    expect((page.orders[0] as Obj).line_items).toHaveLength(120);
    expect((page.orders[0] as Obj).line_items.map((l: Obj) => l.name)).toEqual(Array.from({ length: 120 }, (_, i) => `Line ${i + 1}`));
    expect(shopify.state.queries.length).toBeGreaterThan(2); // the first 20 lines, then pages of more
    for (const q of shopify.state.queries) expect(q.requested).toBeLessThanOrEqual(1000);
  });
});

describe("an import's read through a bulk operation (readPage)", () => {
  async function readAll(client: () => ReturnType<ReturnType<typeof setup>["client"]>, cursor: string | null, stopAfterReads = Infinity) {
    const ids: number[] = [];
    let reads = 0;
    for (let steps = 0; steps < 200; steps++) {
      const page = await readPage(client(), range, cursor, true);
      ids.push(...page.orders.map((o) => (o as Obj).id));
      if (page.orders.length) reads++;
      cursor = page.nextCursor;
      if (!cursor || reads >= stopAfterReads) return { ids, cursor };
      if (page.delaySeconds) await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("no end");
  }

  it("starts one export, polls it, reads the file in pieces from a stored byte offset: every order once, in order", async () => {
    const { shopify, client } = setup({ bulkMs: 200 });
    for (let i = 1; i <= 250; i++) shopify.put(order(5000000 + i, at(i)));
    shopify.put(order(4000001, "2025-06-01T00:00:00Z")); // outside the range
    const first = await readAll(client, null, 1);
    expect(first.ids).toHaveLength(100);
    expect(first.cursor).toMatch(/^bulk:/);
    // A restart (a new Worker, a new client) goes on from the stored cursor: the rest, exactly.
    const rest = await readAll(client, first.cursor);
    const all = [...first.ids, ...rest.ids];
    expect(all).toEqual(Array.from({ length: 250 }, (_, i) => 5000001 + i));
    expect(shopify.bulkOperations()).toHaveLength(1);
    expect(shopify.state.fileReads.filter((r) => r !== null).length).toBeGreaterThanOrEqual(2); // Range reads from the offset
    expect(shopify.state.queries.find((q) => /bulkOperationRunQuery/.test(q.query))!.variables.query).toBe(bulkOrdersQuery(range));
  });

  it("an expired file: shop_unavailable with what to do, and a new export resumes after the last order taken (ties on the time included)", async () => {
    const { shopify, client } = setup({ bulkMs: 100 });
    // Orders 91–110 share one creation time, across the boundary of the first piece.
    for (let i = 1; i <= 160; i++) shopify.put(order(5000000 + i, i >= 91 && i <= 110 ? at(91) : at(i)));
    const first = await readAll(client, null, 1);
    expect(first.ids).toHaveLength(100);
    shopify.expireFiles();
    const err = await readPage(client(), range, first.cursor, true).catch((e) => e);
    expect(err.category).toBe("shop_unavailable");
    expect(err.message).toMatch(/expired.*Resume the import/);
    const restart = err.details.restartCursor as string;
    shopify.state.filesExpired = false;
    const rest = await readAll(client, restart);
    expect([...first.ids, ...rest.ids]).toEqual(Array.from({ length: 160 }, (_, i) => 5000001 + i));
    expect(shopify.bulkOperations()).toHaveLength(2);
  });

  it("a failed export (ACCESS_DENIED) says the app lacks read_all_orders and what to do", async () => {
    const { shopify, client } = setup({ bulkMs: 50 });
    shopify.put(order(5000001, at(1)));
    shopify.state.failNextBulk = { errorCode: "ACCESS_DENIED" };
    const err = await readAll(client, null).catch((e) => e);
    expect(err.category).toBe("shop_unavailable");
    expect(err.message).toMatch(/read_all_orders.*60 days/);
    expect(err.details.restartCursor).toMatch(/^bulk:/);
  });

  it("no order in the range: the export completes without a file and the read ends", async () => {
    const { client } = setup({ bulkMs: 50 });
    expect(await readAll(client, null)).toEqual({ ids: [], cursor: null });
  });
});
