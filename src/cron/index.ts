import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { getDb } from "../db/client";
import { creditNotes, integrations, ledger } from "../db/schema";
import { listModules } from "../modules/registry";
import { notifyCron } from "../notify";
import { type TransferMessage, enqueueMany } from "../transfers/messages";

/**
 * A pending row whose next attempt was due this long ago lost its queue message (or the Worker died
 * between steps): the next cron run re-enqueues it. A row waiting out a backoff, a Retry-After or a lease
 * is not due yet, so it is never taken early.
 */
export const RELAY_GRACE_SECONDS = 60;
const RELAY_BATCH = 500;

/** The 5-minute run whose minute is below this also starts the reconciliation sweeps: once an hour. */
const RECONCILE_MINUTES = 5;

/**
 * The 5-minute cron: fans out one poll message per active polled integration and, once an hour, one
 * reconciliation message per active webhook integration (never HTTP calls here), and relays ledger
 * rows stuck in `pending` back onto the queue. All are safe to run twice at once: a poll holds a lease
 * on its cursor, intake recognises versions it already holds, and transfers are idempotent.
 */
export async function runCron(env: Env, now = new Date()) {
  const db = getDb(env);
  const activeWith = (delivery: "poll" | "webhook") =>
    db
      .select({ id: integrations.id })
      .from(integrations)
      .where(
        and(
          eq(integrations.status, "active"),
          inArray(integrations.shopModule, listModules("shop").filter((m) => m.delivery === delivery).map((m) => m.id)),
          // A shop that removed our app is not called until it is reconnected (R26).
          or(isNull(integrations.shopConnection), sql`json_extract(${integrations.shopConnection}, '$.status') <> 'needs_reconnect'`),
        ),
      )
      .all();
  const toPoll = await activeWith("poll");
  const toReconcile = now.getUTCMinutes() < RECONCILE_MINUTES ? await activeWith("webhook") : [];
  const messages: { body: TransferMessage }[] = [
    ...toPoll.map((i) => ({ body: { type: "poll", integrationId: i.id } as const })),
    ...toReconcile.map((i) => ({ body: { type: "reconcile", integrationId: i.id } as const })),
  ];

  const overdue = new Date(now.getTime() - RELAY_GRACE_SECONDS * 1000).toISOString();
  const stuck = await db
    .select({ integrationId: ledger.integrationId, shopOrderId: ledger.shopOrderId })
    .from(ledger)
    .where(and(eq(ledger.status, "pending"), lt(ledger.nextAttemptAt, overdue), or(isNull(ledger.leaseUntil), lt(ledger.leaseUntil, now.toISOString()))))
    .limit(RELAY_BATCH)
    .all();
  for (const row of stuck) messages.push({ body: { type: "transfer", integrationId: row.integrationId, shopOrderId: row.shopOrderId } });
  // Credit notes left pending the same way (R20–R22).
  const stuckNotes = await db
    .select({ integrationId: creditNotes.integrationId, shopOrderId: creditNotes.shopOrderId, refundId: creditNotes.refundId })
    .from(creditNotes)
    .where(and(eq(creditNotes.status, "pending"), lt(creditNotes.nextAttemptAt, overdue), or(isNull(creditNotes.leaseUntil), lt(creditNotes.leaseUntil, now.toISOString()))))
    .limit(RELAY_BATCH)
    .all();
  for (const row of stuckNotes) messages.push({ body: { type: "credit_note", ...row } });

  await enqueueMany(env, messages.map((m) => m.body));
  const notified = await notifyCron(env, now);
  return { polls: toPoll.length, reconciles: toReconcile.length, relayed: stuck.length + stuckNotes.length, ...notified };
}
