import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { jsonLines } from "../../../src/modules/http/shop-fetch";
import { readBulkFile, restOrder } from "../../../src/modules/shopify/client";
import { shopifyAdapter } from "../../../src/modules/shopify/mapper";
import { shopifyOrderNode } from "../../fakes/shops";

type Obj = Record<string, any>;

/** The grouped JSONL Shopify writes for an order node: the order, then its line items and shipping lines. */
function jsonlOf(node: Obj) {
  const { lineItems, shippingLines, ...order } = node;
  const lines = [JSON.stringify(order)];
  for (const l of lineItems.nodes) lines.push(JSON.stringify({ __typename: "LineItem", ...l, __parentId: node.id }));
  for (const s of shippingLines.nodes) lines.push(JSON.stringify({ __typename: "ShippingLine", ...s, __parentId: node.id }));
  return lines.join("\n") + "\n";
}

/** A file server for the JSONL that honours Range (as the storage behind Shopify's `url` does). */
function fileFetch(text: string) {
  const bytes = new TextEncoder().encode(text);
  const requests: (string | null)[] = [];
  const fetch = async (_input: RequestInfo | URL, init?: RequestInit) => {
    const range = new Headers(init?.headers).get("range");
    requests.push(range);
    const from = range ? Number(/bytes=(\d+)-/.exec(range)![1]) : 0;
    return new Response(bytes.slice(from), { status: range ? 206 : 200, headers: { "content-type": "application/jsonl" } });
  };
  return { fetch, requests };
}

const node = (id: number, lines = 1) => {
  const n = shopifyOrderNode(id, { createdAt: "2026-03-01T10:00:00Z" });
  n.lineItems.nodes = Array.from({ length: lines }, (_, i) => ({ ...n.lineItems.nodes[0], sku: "SKU-1", name: `Line ${i + 1}` }));
  return n;
};

describe("Shopify bulk export file", () => {
  it("streams a JSONL of 20,000 orders holding no more than one line and one chunk", async () => {
    const line = JSON.stringify(node(5000001)).length;
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent === 20_000) return c.close();
        // Chunks of 64 orders, cut at odd places so lines span chunks.
        const text = Array.from({ length: 64 }, (_, i) => JSON.stringify({ ...node(5000001 + sent + i), lineItems: undefined })).join("\n") + "\n";
        sent += 64;
        if (sent > 20_000) sent = 20_000;
        const bytes = new TextEncoder().encode(text);
        c.enqueue(bytes.subarray(0, 1001));
        c.enqueue(bytes.subarray(1001));
      },
    });
    let maxHeld = 0;
    let count = 0;
    let lastEnd = 0;
    for await (const l of jsonLines(stream, { onBuffered: (n) => (maxHeld = Math.max(maxHeld, n)) })) {
      expect(l.start).toBe(lastEnd);
      lastEnd = l.end;
      count++;
    }
    expect(count).toBeGreaterThanOrEqual(20_000);
    // The bound: a chunk (64 orders) plus one unfinished line; never the file (tens of MB).
    expect(maxHeld).toBeLessThan(66 * line);
    expect(lastEnd).toBeGreaterThan(100 * maxHeld);
  });

  it("an order with 300 line items (more than a page of children) arrives whole, equal to the paged read", async () => {
    const big = node(5000002, 300);
    const file = fileFetch(jsonlOf(node(5000001)) + jsonlOf(big) + jsonlOf(node(5000003)));
    const r = await readBulkFile({ fetch: file.fetch, env }, "https://storage.fake/bulk.jsonl", 0, 10);
    expect(r.nextOffset).toBeNull();
    expect(r.orders).toHaveLength(3);
    const fromBulk = r.orders[1] as Obj;
    expect(fromBulk.line_items).toHaveLength(300);
    // Same mapper input as the paged GraphQL read (restOrder of the node with all its lines).
    expect(fromBulk).toEqual(restOrder(big, big.lineItems.nodes));
    expect(shopifyAdapter.toOrder(fromBulk, {})).toEqual(shopifyAdapter.toOrder(restOrder(big, big.lineItems.nodes), {}));
  });

  it("a restart in the middle resumes at the stored byte offset: no order skipped or repeated", async () => {
    const nodes = Array.from({ length: 25 }, (_, i) => node(5000001 + i, 1 + (i % 4)));
    const file = fileFetch(nodes.map(jsonlOf).join(""));
    const seen: string[] = [];
    let offset: number | null = 0;
    let reads = 0;
    while (offset !== null) {
      const r = await readBulkFile({ fetch: file.fetch, env }, "https://storage.fake/bulk.jsonl", offset, 10);
      seen.push(...r.orders.map((o) => String((o as Obj).id)));
      offset = r.nextOffset;
      reads++;
    }
    expect(reads).toBe(3);
    expect(seen).toEqual(nodes.map((n) => n.id.split("/").pop()));
    expect(file.requests[0]).toBeNull();
    expect(file.requests[1]).toMatch(/^bytes=\d+-$/);
  });

  it("an expired file URL is a clear shop_unavailable that says to resume", async () => {
    const expired = async () => new Response("<Error><Code>ExpiredToken</Code></Error>", { status: 400, headers: { "content-type": "application/xml" } });
    await expect(readBulkFile({ fetch: expired, env }, "https://storage.fake/bulk.jsonl", 0, 10)).rejects.toMatchObject({
      category: "shop_unavailable",
      message: expect.stringContaining("Resume the import"),
    });
  });
});
