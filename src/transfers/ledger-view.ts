import { and, count, desc, eq, lt, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { creditNotes, ledger, ledgerAttempts } from "../db/schema";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { creditNotesByOrder, orderKey, type CreditNoteView } from "./credit-note-store";
import type { LedgerRow } from "./ledger-store";

/** A ledger row as api.md's LedgerEntry, with the order's credit notes (R20). */
export function ledgerEntry(row: LedgerRow, creditNotes: CreditNoteView[] = []) {
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
    creditNotes,
  };
}

/** One ledger row as LedgerEntry, its credit notes read. */
export async function ledgerEntryOf(db: Db, row: LedgerRow) {
  return ledgerEntry(row, (await creditNotesByOrder(db, [row])).get(orderKey(row)) ?? []);
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
    ...(await ledgerEntryOf(db, row)),
    attempts: attempts.map((a) => ({ at: a.at, outcome: a.outcome, ...(a.category ? { category: a.category } : {}), ...(a.message ? { message: a.message } : {}) })),
    received: parse(row.received),
    sent: parse(row.sent),
  };
}

export interface LedgerFilter {
  integrationId?: string;
  importId?: string;
  tenantId?: string;
  status?: string;
  category?: string;
  /** Order number, customer name or e-mail (settings page search): a part of the number or of the order as received. */
  q?: string;
  /** Only orders with a refund or cancellation credit (R20–R21). */
  refunded?: boolean;
}

/** The WHERE of a ledger filter, shared by the API's cursor pages and the settings page's numbered pages. */
function filterConditions(filter: LedgerFilter): SQL[] {
  const conds: SQL[] = [];
  if (filter.integrationId) conds.push(eq(ledger.integrationId, filter.integrationId));
  if (filter.importId) conds.push(eq(ledger.importId, filter.importId));
  if (filter.tenantId) conds.push(eq(ledger.tenantId, filter.tenantId));
  if (filter.status) conds.push(eq(ledger.status, filter.status as LedgerRow["status"]));
  if (filter.category) conds.push(eq(ledger.errorCategory, filter.category));
  if (filter.refunded)
    conds.push(sql`EXISTS (SELECT 1 FROM ${creditNotes} WHERE ${creditNotes.integrationId} = ${ledger.integrationId} AND ${creditNotes.shopOrderId} = ${ledger.shopOrderId})`);
  const q = filter.q?.trim().toLowerCase();
  if (q) {
    // LIKE's own wildcards in the search are literal; the customer's name and e-mail are in the order as received.
    const pattern = `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    conds.push(or(sql`lower(${ledger.orderNumber}) LIKE ${pattern} ESCAPE '\\'`, sql`lower(${ledger.received}) LIKE ${pattern} ESCAPE '\\'`)!);
  }
  return conds;
}

/** Newest first by when we received the order; `limit` clamped to 200. */
export async function listLedger(db: Db, filter: LedgerFilter & { limit: number; cursor?: string }) {
  const conds = filterConditions(filter);
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
  const notes = await creditNotesByOrder(db, page);
  return { items: page.map((r) => ledgerEntry(r, notes.get(orderKey(r)) ?? [])), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].receivedAt, page[page.length - 1].id) : null };
}

/**
 * One numbered page of the settings page's log: the rows (with their integration and the order as
 * received, for the customer and amount columns), how many match in all, and how many per status.
 */
export async function searchLedger(db: Db, filter: LedgerFilter, page: { offset: number; limit: number }) {
  const where = and(...filterConditions(filter));
  const [rows, counts] = await Promise.all([
    db.select().from(ledger).where(where).orderBy(desc(ledger.receivedAt), desc(ledger.id)).limit(page.limit).offset(page.offset).all(),
    db.select({ status: ledger.status, n: count() }).from(ledger).where(where).groupBy(ledger.status).all(),
  ]);
  const byStatus = Object.fromEntries(counts.map((r) => [r.status, r.n])) as Partial<Record<LedgerRow["status"], number>>;
  return { rows, total: counts.reduce((a, r) => a + r.n, 0), byStatus };
}
