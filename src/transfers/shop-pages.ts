/**
 * Reading a range of a shop's orders step by step, one queue message per step, for imports and
 * reconciliation sweeps: a page of the shop's order list, or, for a large range where the shop offers
 * it (Shopify bulk operations, reference-wave2.md §8), the steps of a bulk export. The position is an
 * opaque cursor the caller stores, so a restart goes on from it.
 */
import { TransferError } from "../domain/errors";
import type { ShopClient, ShopOrderQuery } from "../modules/types";

/** Orders taken from a bulk export's file per queue message. */
const BULK_ORDERS_PER_MESSAGE = 100;
/** Seconds between looks at a running bulk export. */
const BULK_POLL_SECONDS = 2;
const BULK_PREFIX = "bulk:";

/**
 * Where a bulk read stands, stored as the import's cursor: the operation, its file and the byte offset of
 * the next order, and the last order taken (for a new operation after a failed or expired one).
 */
interface BulkCursor {
  op?: string;
  url?: string;
  offset?: number;
  after?: string | null;
}
const bulkCursor = (b: BulkCursor) => BULK_PREFIX + JSON.stringify(b);
export const isBulkCursor = (c: string | null | undefined) => !!c?.startsWith(BULK_PREFIX);
const parseBulkCursor = (c: string | null) => (c?.startsWith(BULK_PREFIX) ? (JSON.parse(c.slice(BULK_PREFIX.length)) as BulkCursor) : null);

export type PageRead = { orders: unknown[]; nextCursor: string | null; delaySeconds?: number };

/**
 * The next orders of an import's range from `cursor`: a page of the shop's order list, or, for a large
 * range where the shop offers it, the next step of a bulk export (start it, look whether it is done,
 * then read its file in pieces). A failed or expired export throws shop_unavailable with the cursor
 * that starts a new one after the last order taken (`details.restartCursor`).
 */
export async function readPage(client: ShopClient, q: Omit<ShopOrderQuery, "cursor">, cursor: string | null, large: boolean): Promise<PageRead> {
  const b = parseBulkCursor(cursor) ?? (large && !cursor && client.bulk ? {} : null);
  if (!b || !client.bulk) return client.listOrders({ ...q, cursor });
  const restartCursor = bulkCursor({ after: b.after ?? null });
  if (!b.op) return { orders: [], nextCursor: bulkCursor({ op: await client.bulk.start(q, b.after), after: b.after ?? null }), delaySeconds: BULK_POLL_SECONDS };
  if (!b.url) {
    const op = await client.bulk.status(b.op);
    if (op.status === "CREATED" || op.status === "RUNNING" || op.status === "CANCELING") return { orders: [], nextCursor: cursor, delaySeconds: BULK_POLL_SECONDS };
    if (op.status !== "COMPLETED") throw new TransferError("shop_unavailable", client.bulk.failure(op), { details: { restartCursor } });
    if (!op.url) return { orders: [], nextCursor: null }; // no order in the range
    b.url = op.url;
    b.offset = 0;
  }
  let read;
  try {
    read = await client.bulk.read(b.url, b.offset ?? 0, BULK_ORDERS_PER_MESSAGE, b.after);
  } catch (e) {
    if (e instanceof TransferError && e.details?.bulkFileUnreadable) throw new TransferError("shop_unavailable", e.message, { details: { restartCursor } });
    throw e;
  }
  return { orders: read.orders, nextCursor: read.nextOffset === null ? null : bulkCursor({ op: b.op, url: b.url, offset: read.nextOffset, after: read.resumeKey }) };
}
