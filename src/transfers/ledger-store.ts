import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { ledger, ledgerAttempts } from "../db/schema";
import type { TransferError } from "../domain/errors";
import type { LedgerState, SkipReason, Source } from "../domain/ledger";
import type { CanonicalOrder, DocumentRef } from "../domain/order";
import { newId } from "../lib/ids";

export type LedgerRow = typeof ledger.$inferSelect;

/** A transfer holds its row this long; a crashed holder's lease runs out and a retry takes over. */
export const LEASE_SECONDS = 120;

/** When a lease taken now runs out. */
export const leaseEnd = (now: Date) => new Date(now.getTime() + LEASE_SECONDS * 1000).toISOString();

export function getLedgerRow(db: Db, integrationId: string, shopOrderId: string) {
  return db
    .select()
    .from(ledger)
    .where(and(eq(ledger.integrationId, integrationId), eq(ledger.shopOrderId, shopOrderId)))
    .get();
}

export const ledgerState = (row: LedgerRow | undefined): LedgerState | null =>
  row
    ? {
        status: row.status,
        documentType: (row.documentType as "draft" | "booked" | null) ?? null,
        documentNumber: row.documentNumber,
        orderUpdatedAt: row.orderUpdatedAt,
      }
    : null;

interface Seen {
  integrationId: string;
  tenantId: string;
  order: CanonicalOrder;
  raw: string;
  source: Source;
  importId?: string | null;
  at: string;
  receivedAt?: string;
}

/**
 * Records the order as received (insert or update under the unique key), with the decided status.
 * A row that is pending or transferred keeps its status and document; only what was received changes.
 */
export async function recordSeen(db: Db, seen: Seen, status: "pending" | "skipped", reason: SkipReason | null) {
  const { order } = seen;
  const values = {
    id: newId("ord"),
    integrationId: seen.integrationId,
    tenantId: seen.tenantId,
    shopOrderId: order.shopOrderId,
    orderNumber: order.orderNumber,
    status,
    reason,
    source: seen.source,
    importId: seen.importId ?? null,
    orderCreatedAt: order.createdAt,
    orderUpdatedAt: order.updatedAt,
    receivedAt: seen.receivedAt ?? seen.at,
    updatedAt: seen.at,
    pendingSince: status === "pending" ? seen.at : null,
    nextAttemptAt: status === "pending" ? seen.at : null,
    received: seen.raw,
    currency: order.currency || null,
    totalGross: order.currency ? order.totals.gross : null,
  };
  return db
    .insert(ledger)
    .values(values)
    .onConflictDoUpdate({
      target: [ledger.integrationId, ledger.shopOrderId],
      set: {
        orderNumber: values.orderNumber,
        orderCreatedAt: values.orderCreatedAt,
        orderUpdatedAt: values.orderUpdatedAt,
        received: values.received,
        currency: values.currency,
        totalGross: values.totalGross,
        updatedAt: values.updatedAt,
        // Pending and transferred rows keep their state; others take the new decision.
        status: sql`CASE WHEN ${ledger.status} IN ('pending','transferred') THEN ${ledger.status} ELSE ${status} END`,
        reason: sql`CASE WHEN ${ledger.status} IN ('pending','transferred') THEN ${ledger.reason} ELSE ${reason} END`,
        errorCategory: sql`CASE WHEN ${ledger.status} IN ('pending','transferred') THEN ${ledger.errorCategory} ELSE NULL END`,
        errorMessage: sql`CASE WHEN ${ledger.status} IN ('pending','transferred') THEN ${ledger.errorMessage} ELSE NULL END`,
        errorHint: sql`CASE WHEN ${ledger.status} IN ('pending','transferred') THEN ${ledger.errorHint} ELSE NULL END`,
        pendingSince: sql`CASE WHEN ${ledger.status} = 'pending' THEN ${ledger.pendingSince} WHEN ${status} = 'pending' THEN ${values.pendingSince} ELSE NULL END`,
        nextAttemptAt: sql`CASE WHEN ${ledger.status} = 'pending' THEN ${ledger.nextAttemptAt} WHEN ${status} = 'pending' THEN ${values.nextAttemptAt} ELSE NULL END`,
        source: sql`CASE WHEN ${ledger.status} IN ('pending','transferred') THEN ${ledger.source} ELSE ${values.source} END`,
        importId: sql`CASE WHEN ${ledger.status} IN ('pending','transferred') THEN ${ledger.importId} ELSE ${values.importId} END`,
      },
    })
    .returning()
    .get();
}

/** Takes the row for one transfer attempt; null when another attempt holds it or it is not pending. */
export async function claim(db: Db, id: string, now: Date) {
  const nowIso = now.toISOString();
  return db
    .update(ledger)
    .set(((leaseUntil) => ({ leaseUntil, nextAttemptAt: leaseUntil, attempts: sql`${ledger.attempts} + 1` }))(leaseEnd(now)))
    .where(and(eq(ledger.id, id), eq(ledger.status, "pending"), or(isNull(ledger.leaseUntil), lt(ledger.leaseUntil, nowIso))))
    .returning()
    .get();
}

/**
 * Takes a transferred draft for one update (R7) under the same lease as transfers, and only for a version
 * newer than the one last sent: two updates never write the draft at once, and an older one never lands last.
 */
export async function claimDraftUpdate(db: Db, id: string, version: string, now: Date) {
  return db
    .update(ledger)
    .set({ leaseUntil: leaseEnd(now) })
    .where(
      and(
        eq(ledger.id, id),
        eq(ledger.status, "transferred"),
        eq(ledger.documentType, "draft"),
        or(isNull(ledger.leaseUntil), lt(ledger.leaseUntil, now.toISOString())),
        or(isNull(ledger.orderUpdatedAt), lt(ledger.orderUpdatedAt, version)),
      ),
    )
    .returning()
    .get();
}

/** The draft now holds this version: it is what was received and sent, and the lease is let go. */
export async function recordDraftUpdated(db: Db, row: LedgerRow, order: CanonicalOrder, raw: string, sent: unknown, at: string) {
  await db.batch([
    db
      .update(ledger)
      .set({ orderNumber: order.orderNumber, orderCreatedAt: order.createdAt, orderUpdatedAt: order.updatedAt, received: raw, sent: JSON.stringify(sent), updatedAt: at, leaseUntil: null })
      .where(eq(ledger.id, row.id)),
    attempt(db, row.id, at, "draft_updated", null, `draft ${row.documentNumber} updated in place (R7)`),
  ]);
}

/** Lets go of a draft update's lease, with what happened; a booked document found instead is recorded. */
export async function releaseDraftUpdate(db: Db, row: LedgerRow, at: string, outcome: string, message: string, document?: DocumentRef) {
  await db.batch([
    db
      .update(ledger)
      .set({ leaseUntil: null, updatedAt: at, ...(document ? { documentType: document.type, documentNumber: document.number } : {}) })
      .where(eq(ledger.id, row.id)),
    attempt(db, row.id, at, outcome, null, message),
  ]);
}

const attempt = (db: Db, ledgerId: string, at: string, outcome: string, category?: string | null, message?: string | null) =>
  db.insert(ledgerAttempts).values({ ledgerId, at, outcome, category: category ?? null, message: message ?? null });

/** `orderUpdatedAt` is the version that was sent, so a later update of the order is seen as newer (R7). */
export async function markTransferred(db: Db, row: LedgerRow, document: DocumentRef, sent: unknown, at: string, orderUpdatedAt: string, note = "transferred") {
  await db.batch([
    db
      .update(ledger)
      .set({
        status: "transferred",
        reason: null,
        errorCategory: null,
        errorMessage: null,
        errorHint: null,
        documentType: document.type,
        documentNumber: document.number,
        transferredAt: at,
        updatedAt: at,
        orderUpdatedAt,
        pendingSince: null,
        nextAttemptAt: null,
        leaseUntil: null,
        sent: sent === undefined ? row.sent : JSON.stringify(sent),
      })
      .where(eq(ledger.id, row.id)),
    attempt(db, row.id, at, note, null, `${document.type} ${document.number}`),
  ]);
}

/** A failure the merchant must fix (or the last automatic retry ran out): shown with category, message, hint. */
export async function markFailed(db: Db, row: LedgerRow, err: TransferError, at: string, sent?: unknown) {
  const doc = err.details?.document as DocumentRef | undefined;
  await db.batch([
    db
      .update(ledger)
      .set({
        status: "failed",
        errorCategory: err.category,
        errorMessage: err.message,
        errorHint: err.hint,
        updatedAt: at,
        pendingSince: null,
        nextAttemptAt: null,
        leaseUntil: null,
        ...(doc ? { documentType: doc.type, documentNumber: doc.number } : {}),
        ...(sent !== undefined ? { sent: JSON.stringify(sent) } : {}),
      })
      .where(eq(ledger.id, row.id)),
    attempt(db, row.id, at, "failed", err.category, err.message),
  ]);
}

/** A transient failure: the row stays pending, due again after the backoff (`retryInSeconds`). */
export async function releaseForRetry(db: Db, row: LedgerRow, err: TransferError, at: string, retryInSeconds: number, document?: DocumentRef) {
  await db.batch([
    db
      .update(ledger)
      .set({
        leaseUntil: null,
        nextAttemptAt: new Date(new Date(at).getTime() + retryInSeconds * 1000).toISOString(),
        updatedAt: at,
        ...(document ? { documentType: document.type, documentNumber: document.number } : {}),
      })
      .where(eq(ledger.id, row.id)),
    attempt(db, row.id, at, "retry", err.category, err.message),
  ]);
}

export async function recordNote(db: Db, row: LedgerRow, outcome: string, at: string, message?: string, sent?: unknown, reason?: SkipReason) {
  await db.batch([
    db
      .update(ledger)
      .set({ updatedAt: at, ...(sent !== undefined ? { sent: JSON.stringify(sent) } : {}), ...(reason ? { reason } : {}) })
      .where(eq(ledger.id, row.id)),
    attempt(db, row.id, at, outcome, null, message ?? null),
  ]);
}
