/**
 * The daily digest (R25): at 07:00 Europe/Copenhagen, from the 5-minute cron, the orders that failed
 * since the last digest, grouped by category with the fix; nothing when none failed. The scheduled
 * digest of a day covers the window up to that day's 07:00, so a late cron (or two at once) computes the
 * same window and the same keys (kind + tenant + day): it is sent once. Staff may run it now; the next
 * scheduled one goes on from there.
 */
import { and, asc, eq, gt, inArray, lte } from "drizzle-orm";
import { getDb } from "../db/client";
import { creditNotes, integrations, ledger, notifyDigest } from "../db/schema";
import { copenhagenDate, copenhagenTimeUtc } from "../domain/calendar";
import { integrationLabel } from "./labels";
import { deliver, record, retryDue, type Notice } from "./outbox";
import type { NotifyEnv } from "./sender";
import { DIGEST_ORDERS_PER_CATEGORY, failedOrdersDigest, type DigestGroup } from "./texts";

export const DIGEST_HOUR = 7;

/** The latest 07:00 Copenhagen at or before `now` (yesterday's before 07:00), whatever the DST. */
export function digestSlot(now: Date): { day: string; at: Date } {
  const today = copenhagenDate(now);
  const at = copenhagenTimeUtc(today, DIGEST_HOUR);
  if (at.getTime() <= now.getTime()) return { day: today, at };
  const yesterday = copenhagenDate(new Date(at.getTime() - 20 * 3600_000));
  return { day: yesterday, at: copenhagenTimeUtc(yesterday, DIGEST_HOUR) };
}

/** How many failed orders one digest run reads at most (counts above it are not listed). */
const MAX_ROWS = 5000;

/**
 * Runs the digest: `scheduled` only when the latest 07:00 has not had its digest yet (the window ends
 * there); `now` at once (the window ends now). Returns what it did, or null when nothing was due.
 */
export async function runDigest(env: NotifyEnv, now = new Date(), mode: "scheduled" | "now" = "now") {
  const db = getDb(env);
  const state = await db.select().from(notifyDigest).where(eq(notifyDigest.id, 1)).get();
  const slot = digestSlot(now);
  if (mode === "scheduled" && state?.lastDay && state.lastDay >= slot.day) return null;
  const end = mode === "scheduled" ? slot.at.toISOString() : now.toISOString();
  const start = state?.lastCutoff ?? new Date(Date.parse(end) - 24 * 3600_000).toISOString();
  const failed =
    start < end
      ? await db
          .select({ tenantId: ledger.tenantId, integrationId: ledger.integrationId, orderNumber: ledger.orderNumber, category: ledger.errorCategory, message: ledger.errorMessage })
          .from(ledger)
          .where(and(eq(ledger.status, "failed"), gt(ledger.updatedAt, start), lte(ledger.updatedAt, end)))
          .orderBy(asc(ledger.tenantId), asc(ledger.updatedAt))
          .limit(MAX_ROWS)
          .all()
      : [];
  // R23: a credit note fails like an invoice, so a refund that did not reach the books is told the same way.
  const failedNotes =
    start < end
      ? await db
          .select({ tenantId: creditNotes.tenantId, integrationId: creditNotes.integrationId, orderNumber: ledger.orderNumber, refundId: creditNotes.refundId, category: creditNotes.errorCategory, message: creditNotes.errorMessage })
          .from(creditNotes)
          .innerJoin(ledger, and(eq(ledger.integrationId, creditNotes.integrationId), eq(ledger.shopOrderId, creditNotes.shopOrderId)))
          .where(and(eq(creditNotes.status, "failed"), gt(creditNotes.updatedAt, start), lte(creditNotes.updatedAt, end)))
          .orderBy(asc(creditNotes.tenantId), asc(creditNotes.updatedAt))
          .limit(MAX_ROWS)
          .all()
      : [];
  failed.push(...failedNotes);
  const labels = new Map<string, string>();
  const integrationIds = [...new Set(failed.map((f) => f.integrationId))];
  for (let i = 0; i < integrationIds.length; i += 90)
    for (const row of await db.select().from(integrations).where(inArray(integrations.id, integrationIds.slice(i, i + 90))).all()) labels.set(row.id, integrationLabel(row));

  const byTenant = new Map<string, Map<string, DigestGroup>>();
  for (const f of failed) {
    const category = f.category ?? "accounting_rejected";
    let tenant = byTenant.get(f.tenantId);
    if (!tenant) byTenant.set(f.tenantId, (tenant = new Map()));
    let group = tenant.get(category);
    if (!group) tenant.set(category, (group = { category, total: 0, refunds: 0, orders: [] }));
    group.total++;
    const refundId = "refundId" in f ? (f.refundId as string) : undefined;
    if (refundId !== undefined) group.refunds++;
    if (group.orders.length < DIGEST_ORDERS_PER_CATEGORY)
      group.orders.push({ orderNumber: f.orderNumber, ...(refundId !== undefined ? { refundId } : {}), integration: labels.get(f.integrationId) ?? f.integrationId, message: f.message ?? "" });
  }
  // A scheduled digest is keyed by its day; one run now by where its window starts (a repeat after a crash finds the same key).
  const suffix = mode === "scheduled" ? slot.day : `from:${start}`;
  const notices: Notice[] = [...byTenant].map(([tenantId, groups]) => ({
    kind: "failed_orders_digest",
    tenantId,
    key: `failed_orders_digest:${tenantId}:${suffix}`,
    content: (lang) => failedOrdersDigest(lang, { since: start, until: end, byCategory: [...groups.values()].sort((a, b) => b.total - a.total) }),
  }));
  const keys = await record(env, notices, now);
  // Recorded first, then the window moves on: a crash in between repeats the same window and keys.
  const next = { lastCutoff: end > (state?.lastCutoff ?? "") ? end : state!.lastCutoff, ...(mode === "scheduled" ? { lastDay: slot.day } : {}) };
  await db.insert(notifyDigest).values({ id: 1, lastDay: null, ...next }).onConflictDoUpdate({ target: notifyDigest.id, set: next });
  const sent = await deliver(env, keys, now);
  return { window: { from: start, to: end }, tenants: notices.length, orders: failed.length - failedNotes.length, refunds: failedNotes.length, sent };
}

/** The cron's part (every 5 minutes): the digest when 07:00 has passed without one, and the retries of failed sends. */
export async function notifyCron(env: NotifyEnv, now = new Date()) {
  const digest = await runDigest(env, now, "scheduled");
  const retries = await retryDue(env, now);
  return { digest: digest ? digest.sent : null, notificationsRetried: retries.retried };
}
