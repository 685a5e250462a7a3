/**
 * "Transfer again" (R8), for an order's invoice and for one of its credit notes: the staff API and the
 * settings page both ask here. A transferred document gets a new generation (a new document with a new
 * reference); a failed one keeps what its attempt left, to complete it.
 */
import { and, eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { getDb } from "../db/client";
import { ledger } from "../db/schema";
import { nowIso } from "../domain/calendar";
import { getCreditNote, requeueCreditNote, type CreditNoteRow } from "./credit-note-store";
import { creditNoteMessage } from "./credit-notes";
import { getLedgerRow, type LedgerRow } from "./ledger-store";
import { ledgerEntryOf } from "./ledger-view";
import { enqueue } from "./messages";

/** R8: a transferred order gets a new generation (a new document and a new charge); others are simply retried. */
export async function requestTransferAgain(env: Env, row: LedgerRow, audit: BatchItem<"sqlite">) {
  const at = nowIso();
  const db = getDb(env);
  if (row.status !== "pending") {
    const bump = row.status === "transferred" ? 1 : 0;
    await db.batch([
      db
        .update(ledger)
        .set({
          status: "pending",
          reason: null,
          errorCategory: null,
          errorMessage: null,
          errorHint: null,
          source: "manual",
          generation: sql`${ledger.generation} + ${bump}`,
          // A new generation gets a new document; a failed one keeps the draft it left, to complete it.
          ...(bump ? { documentType: null, documentNumber: null } : {}),
          pendingSince: at,
          nextAttemptAt: at,
          leaseUntil: null,
          attempts: 0,
          updatedAt: at,
        })
        .where(and(eq(ledger.id, row.id), eq(ledger.status, row.status))),
      audit,
    ]);
  }
  await enqueue(env, { type: "transfer", integrationId: row.integrationId, shopOrderId: row.shopOrderId });
  const updated = await getLedgerRow(db, row.integrationId, row.shopOrderId);
  return ledgerEntryOf(db, updated!);
}

/** A refund's credit note again (R8 for credit notes): requeued, then sent when it may go now. */
export async function requestCreditNoteAgain(env: Env, row: CreditNoteRow, audit: BatchItem<"sqlite">) {
  const db = getDb(env);
  await db.batch([requeueCreditNote(db, row, nowIso()), audit]);
  const current = (await getCreditNote(db, row.integrationId, row.shopOrderId, row.refundId))!;
  if (current.status === "pending") await enqueue(env, creditNoteMessage(current));
  return current;
}
