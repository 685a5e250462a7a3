import { and, desc, eq, lt, or, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { ledger, ledgerAttempts } from "../db/schema";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import type { LedgerRow } from "./ledger-store";

/** A ledger row as api.md's LedgerEntry. */
export function ledgerEntry(row: LedgerRow) {
  return {
    orderId: row.shopOrderId,
    orderNumber: row.orderNumber,
    status: row.status,
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.status === "failed" && row.errorCategory
      ? { error: { category: row.errorCategory, message: row.errorMessage ?? "", hint: row.errorHint ?? "" } }
      : {}),
    ...(row.documentNumber ? { document: { type: row.documentType as "draft" | "booked", number: row.documentNumber } } : {}),
    source: row.source,
    ...(row.importId ? { importId: row.importId } : {}),
    receivedAt: row.receivedAt,
    ...(row.transferredAt ? { transferredAt: row.transferredAt } : {}),
    /** The document currency (R24); null while the order could not be read. */
    currency: row.currency,
  };
}

export async function ledgerDetail(db: Db, row: LedgerRow) {
  const attempts = await db.select().from(ledgerAttempts).where(eq(ledgerAttempts.ledgerId, row.id)).orderBy(ledgerAttempts.id).all();
  const parse = (s: string | null) => {
    if (s === null) return null;
    try {
      return JSON.parse(s);
    } catch {
      return s;
    }
  };
  return {
    ...ledgerEntry(row),
    attempts: attempts.map((a) => ({ at: a.at, outcome: a.outcome, ...(a.category ? { category: a.category } : {}), ...(a.message ? { message: a.message } : {}) })),
    received: parse(row.received),
    sent: parse(row.sent),
  };
}

/** Newest first by when we received the order; `limit` clamped to 200. */
export async function listLedger(db: Db, filter: { integrationId?: string; importId?: string; tenantId?: string; status?: string; category?: string; limit: number; cursor?: string }) {
  const conds: SQL[] = [];
  if (filter.integrationId) conds.push(eq(ledger.integrationId, filter.integrationId));
  if (filter.importId) conds.push(eq(ledger.importId, filter.importId));
  if (filter.tenantId) conds.push(eq(ledger.tenantId, filter.tenantId));
  if (filter.status) conds.push(eq(ledger.status, filter.status as LedgerRow["status"]));
  if (filter.category) conds.push(eq(ledger.errorCategory, filter.category));
  if (filter.cursor) {
    const [at, id] = decodeCursor(filter.cursor);
    conds.push(or(lt(ledger.receivedAt, at), and(eq(ledger.receivedAt, at), lt(ledger.id, id)))!);
  }
  const limit = Math.min(200, Math.max(1, filter.limit));
  const rows = await db
    .select()
    .from(ledger)
    .where(and(...conds))
    .orderBy(desc(ledger.receivedAt), desc(ledger.id))
    .limit(limit + 1)
    .all();
  const page = rows.slice(0, limit);
  return { items: page.map(ledgerEntry), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].receivedAt, page[page.length - 1].id) : null };
}
