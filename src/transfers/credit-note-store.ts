/**
 * The credit-note ledger (R20–R23): one row per (integration, shop order id, refund id). Rows are written
 * under that unique key, so a refund delivered ten times, or concurrently, is one row; a transfer holds
 * its row under the same lease as orders.
 */
import { and, eq, inArray, isNull, lt, ne, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { creditNotes } from "../db/schema";
import type { TransferError } from "../domain/errors";
import type { DocumentRef } from "../domain/order";
import type { CanonicalRefund } from "../domain/refund";
import { newId } from "../lib/ids";
import { leaseEnd } from "./ledger-store";

export type CreditNoteRow = typeof creditNotes.$inferSelect;
export type CreditNoteStatus = CreditNoteRow["status"];

/** A credit-note row as api.md's CreditNote. */
export function creditNoteView(row: CreditNoteRow) {
  return {
    refundId: row.refundId,
    status: row.status,
    amount: row.amount,
    currency: row.currency,
    ...(row.documentNumber ? { document: { type: row.documentType as "draft" | "booked", number: row.documentNumber } } : {}),
    ...(row.status === "failed" && row.errorCategory ? { error: { category: row.errorCategory, message: row.errorMessage ?? "", hint: row.errorHint ?? "" } } : {}),
    receivedAt: row.receivedAt,
    ...(row.transferredAt ? { transferredAt: row.transferredAt } : {}),
  };
}
export type CreditNoteView = ReturnType<typeof creditNoteView>;

export function getCreditNote(db: Db, integrationId: string, shopOrderId: string, refundId: string) {
  return db
    .select()
    .from(creditNotes)
    .where(and(eq(creditNotes.integrationId, integrationId), eq(creditNotes.shopOrderId, shopOrderId), eq(creditNotes.refundId, refundId)))
    .get();
}

/** The credit notes of an order, oldest first. */
export function creditNotesOfOrder(db: Db, integrationId: string, shopOrderId: string) {
  return db
    .select()
    .from(creditNotes)
    .where(and(eq(creditNotes.integrationId, integrationId), eq(creditNotes.shopOrderId, shopOrderId)))
    .orderBy(creditNotes.receivedAt, sql`rowid`)
    .all();
}

export const orderKey = (o: { integrationId: string; shopOrderId: string }) => `${o.integrationId}\u0000${o.shopOrderId}`;

/** The credit notes of many orders (one statement per integration and 90 orders), by orderKey. */
export async function creditNotesByOrder(db: Db, orders: { integrationId: string; shopOrderId: string }[]) {
  const byOrder = new Map<string, CreditNoteView[]>();
  const perIntegration = new Map<string, string[]>();
  for (const o of orders) perIntegration.set(o.integrationId, [...(perIntegration.get(o.integrationId) ?? []), o.shopOrderId]);
  for (const [integrationId, ids] of perIntegration)
    for (let i = 0; i < ids.length; i += 90) {
      const rows = await db
        .select()
        .from(creditNotes)
        .where(and(eq(creditNotes.integrationId, integrationId), inArray(creditNotes.shopOrderId, ids.slice(i, i + 90))))
        .orderBy(creditNotes.receivedAt, sql`rowid`)
        .all();
      for (const r of rows) byOrder.set(orderKey(r), [...(byOrder.get(orderKey(r)) ?? []), creditNoteView(r)]);
    }
  return byOrder;
}

export interface RefundSeen {
  integrationId: string;
  tenantId: string;
  shopOrderId: string;
  refundId: string;
  /** Null while a refund delivered on its own waits for its order (then `raw` holds it). */
  refund: CanonicalRefund | null;
  raw?: string | null;
  amount: number;
  currency: string;
  at: string;
}

/**
 * Records a refund under its unique key with the decided status. A row seen before keeps its state and
 * document; a waiting row becomes pending (or skipped) when that is the new decision, and a refund read
 * without its order gets its canonical form once the order is known.
 */
export async function recordRefund(db: Db, seen: RefundSeen, status: "waiting" | "pending" | "skipped") {
  const refundJson = seen.refund ? JSON.stringify(seen.refund) : null;
  return db
    .insert(creditNotes)
    .values({
      id: newId("cn"),
      integrationId: seen.integrationId,
      tenantId: seen.tenantId,
      shopOrderId: seen.shopOrderId,
      refundId: seen.refundId,
      status,
      amount: seen.amount,
      currency: seen.currency,
      refund: refundJson,
      raw: seen.raw ?? null,
      receivedAt: seen.at,
      updatedAt: seen.at,
      nextAttemptAt: status === "pending" ? seen.at : null,
    })
    .onConflictDoUpdate({
      target: [creditNotes.integrationId, creditNotes.shopOrderId, creditNotes.refundId],
      set: {
        // Shops do not change a refund once made: only a refund still unread takes the canonical form.
        refund: sql`COALESCE(${creditNotes.refund}, ${refundJson})`,
        amount: sql`CASE WHEN ${creditNotes.refund} IS NULL THEN ${seen.amount} ELSE ${creditNotes.amount} END`,
        currency: sql`CASE WHEN ${creditNotes.refund} IS NULL THEN ${seen.currency} ELSE ${creditNotes.currency} END`,
        raw: sql`COALESCE(${creditNotes.raw}, ${seen.raw ?? null})`,
        status: sql`CASE WHEN ${creditNotes.status} = 'waiting' THEN ${status} ELSE ${creditNotes.status} END`,
        nextAttemptAt: sql`CASE WHEN ${creditNotes.status} = 'waiting' AND ${status} = 'pending' THEN ${seen.at} ELSE ${creditNotes.nextAttemptAt} END`,
        updatedAt: seen.at,
      },
    })
    .returning()
    .get();
}

/** R22: the order's invoice is transferred, so its waiting credit notes go on (or are skipped, R23). */
export function releaseWaiting(db: Db, integrationId: string, shopOrderId: string, to: "pending" | "skipped", at: string) {
  return db
    .update(creditNotes)
    .set({ status: to, updatedAt: at, nextAttemptAt: to === "pending" ? at : null })
    .where(and(eq(creditNotes.integrationId, integrationId), eq(creditNotes.shopOrderId, shopOrderId), eq(creditNotes.status, "waiting")))
    .returning()
    .all();
}

/** Takes the row for one attempt (the lease of ledger rows); null when another attempt holds it or it is not pending. */
export function claimCreditNote(db: Db, id: string, now: Date) {
  const until = leaseEnd(now);
  return db
    .update(creditNotes)
    .set({ leaseUntil: until, nextAttemptAt: until, attempts: sql`${creditNotes.attempts} + 1` })
    .where(and(eq(creditNotes.id, id), eq(creditNotes.status, "pending"), or(isNull(creditNotes.leaseUntil), lt(creditNotes.leaseUntil, now.toISOString()))))
    .returning()
    .get();
}

/**
 * Whether a credit note of the same order recorded before this one is still pending. Credit notes of one
 * order go into the books one after the other, in the order they were recorded, so each one's check of
 * what is left to credit counts every earlier one (two refunds at once never credit more than the invoice).
 */
export async function earlierPending(db: Db, row: Pick<CreditNoteRow, "id" | "integrationId" | "shopOrderId">) {
  const mine = db.select({ r: sql`rowid` }).from(creditNotes).where(eq(creditNotes.id, row.id));
  const found = await db
    .select({ id: creditNotes.id })
    .from(creditNotes)
    .where(and(eq(creditNotes.integrationId, row.integrationId), eq(creditNotes.shopOrderId, row.shopOrderId), eq(creditNotes.status, "pending"), lt(sql`rowid`, mine)))
    .limit(1)
    .get();
  return found !== undefined;
}

/** Fixes our reference on the row at its first attempt, so every later attempt looks for the same one. */
export async function fixReference(db: Db, row: CreditNoteRow, reference: string) {
  if (row.reference) return row.reference;
  await db.update(creditNotes).set({ reference }).where(and(eq(creditNotes.id, row.id), isNull(creditNotes.reference)));
  return (await db.select({ reference: creditNotes.reference }).from(creditNotes).where(eq(creditNotes.id, row.id)).get())?.reference ?? reference;
}

const settled = { leaseUntil: null, nextAttemptAt: null } as const;
const noError = { errorCategory: null, errorMessage: null, errorHint: null } as const;

export function markCreditNoteTransferred(db: Db, row: CreditNoteRow, document: DocumentRef, sent: unknown, at: string) {
  return db
    .update(creditNotes)
    .set({ ...settled, ...noError, status: "transferred", documentType: document.type, documentNumber: document.number, transferredAt: at, updatedAt: at, ...(sent !== undefined ? { sent: JSON.stringify(sent) } : {}) })
    .where(eq(creditNotes.id, row.id));
}

/** A failure the merchant must fix (or the last retry ran out); a document left behind is recorded. */
export function markCreditNoteFailed(db: Db, row: Pick<CreditNoteRow, "id">, err: TransferError, at: string) {
  const doc = err.details?.document as DocumentRef | undefined;
  const sent = err.details?.sent;
  return db
    .update(creditNotes)
    .set({
      ...settled,
      status: "failed",
      errorCategory: err.category,
      errorMessage: err.message,
      errorHint: err.hint,
      updatedAt: at,
      ...(doc ? { documentType: doc.type, documentNumber: doc.number } : {}),
      ...(sent !== undefined ? { sent: JSON.stringify(sent) } : {}),
    })
    .where(eq(creditNotes.id, row.id));
}

/** A transient failure: the row stays pending, due again after the backoff. */
export function releaseCreditNoteForRetry(db: Db, row: CreditNoteRow, at: string, retryInSeconds: number, document?: DocumentRef) {
  return db
    .update(creditNotes)
    .set({
      leaseUntil: null,
      nextAttemptAt: new Date(new Date(at).getTime() + retryInSeconds * 1000).toISOString(),
      updatedAt: at,
      ...(document ? { documentType: document.type, documentNumber: document.number } : {}),
    })
    .where(eq(creditNotes.id, row.id));
}

/** Leaves a claimed row in another state without an attempt (its order is not transferred: waiting; creditRefunds off: skipped). */
export function setCreditNoteStatus(db: Db, row: CreditNoteRow, status: "waiting" | "skipped", at: string) {
  return db.update(creditNotes).set({ ...settled, status, updatedAt: at }).where(eq(creditNotes.id, row.id));
}

/**
 * A refund's transfer again (like R8): a transferred credit note gets a new generation (a new document,
 * a new reference), a failed or skipped one is tried again; one still waiting for its order keeps waiting.
 */
export function requeueCreditNote(db: Db, row: CreditNoteRow, at: string) {
  const bump = row.status === "transferred" ? 1 : 0;
  return db
    .update(creditNotes)
    .set({
      ...noError,
      status: "pending",
      generation: sql`${creditNotes.generation} + ${bump}`,
      ...(bump ? { documentType: null, documentNumber: null, reference: null, transferredAt: null } : {}),
      attempts: 0,
      leaseUntil: null,
      nextAttemptAt: at,
      updatedAt: at,
    })
    .where(and(eq(creditNotes.id, row.id), ne(creditNotes.status, "waiting"), eq(creditNotes.status, row.status)));
}
