/** An import's report: progress and pace, errors with hints, billing and technician time (R14, R18). */
import { and, count, eq, isNotNull } from "drizzle-orm";
import { accountStub } from "../account/client";
import { getDb, type Db } from "../db/client";
import { creditNotes, ledger } from "../db/schema";
import { halfHoursFor } from "../domain/pricing";
import { priceList } from "../account/prices";

import type { ImportRow, Preflight } from "./lifecycle";
export async function technician(db: Db, row: ImportRow) {
  const price = await priceList(db);
  const technicianHalfHours = halfHoursFor(row.technicianMinutes);
  const billed = Math.min(technicianHalfHours, row.acceptedHalfHours);
  return {
    technicianMinutes: row.technicianMinutes,
    technicianHalfHours,
    acceptedHalfHours: row.acceptedHalfHours,
    billedHalfHours: billed,
    technicianCost: billed * price.technicianHalfHourPrice,
    needsNewOffer: technicianHalfHours > row.acceptedHalfHours,
    currency: price.currency,
  };
}

// ---- the report ----

export async function importView(env: Env, row: ImportRow) {
  const db = getDb(env);
  const [byStatus, byCategory, billing, tech, notes] = await Promise.all([
    db.select({ status: ledger.status, n: count() }).from(ledger).where(eq(ledger.importId, row.id)).groupBy(ledger.status).all(),
    db
      .select({ category: ledger.errorCategory, n: count() })
      .from(ledger)
      .where(and(eq(ledger.importId, row.id), eq(ledger.status, "failed"), isNotNull(ledger.errorCategory)))
      .groupBy(ledger.errorCategory)
      .all(),
    accountStub(env, row.tenantId).importBilling(row.id),
    technician(db, row),
    // The credit notes of the import's orders (R22): they never charge (R23), so they are only counted.
    db
      .select({ status: creditNotes.status, n: count() })
      .from(creditNotes)
      .innerJoin(ledger, and(eq(ledger.integrationId, creditNotes.integrationId), eq(ledger.shopOrderId, creditNotes.shopOrderId)))
      .where(eq(ledger.importId, row.id))
      .groupBy(creditNotes.status)
      .all(),
  ]);
  const n = (s: string) => byStatus.find((r) => r.status === s)?.n ?? 0;
  const ownRows = byStatus.reduce((a, r) => a + r.n, 0);
  const testOnly = row.found === 0 ? ownRows : 0; // a test transfer is part of the import before the run finds it
  const pf = row.preflight as Preflight | null;
  return {
    id: row.id,
    integrationId: row.integrationId,
    status: row.status,
    ...(row.pauseReason ? { pauseReason: row.pauseReason } : {}),
    ...(row.status === "paused" && row.pauseMessage ? { pauseMessage: row.pauseMessage } : {}),
    fromDate: row.fromDate,
    fromOrderNumber: row.fromOrderNumber,
    toDate: row.toDate,
    estimatedOrders: row.estimatedOrders,
    ...(pf ? { preflight: { status: pf.status, ordersFound: pf.ordersFound, refundsFound: pf.refundsFound ?? 0, errorsByCategory: pf.errorsByCategory, ...(pf.shopError ? { shopError: pf.shopError } : {}) } } : {}),
    ...(row.testTransfer ? { testTransfer: row.testTransfer } : {}),
    ...(row.approval ? { approval: row.approval } : {}),
    technicianMinutes: row.technicianMinutes,
    acceptedHalfHours: row.acceptedHalfHours,
    progress: {
      found: row.found + testOnly,
      transferred: n("transferred"),
      failed: n("failed"),
      // Orders of the range that were transferred before (R19) count as skipped: found but not the import's.
      skipped: n("skipped") + Math.max(0, row.found + testOnly - ownRows),
      pending: n("pending"),
      creditNotes: { transferred: notes.find((r) => r.status === "transferred")?.n ?? 0, failed: notes.find((r) => r.status === "failed")?.n ?? 0 },
      ...(row.status === "running" ? pace(row, n("transferred") + n("failed") + n("skipped")) : {}),
    },
    errorsByCategory: Object.fromEntries(byCategory.map((r) => [r.category!, r.n])),
    billing: {
      fromIncluded: billing.fromIncluded,
      fromTopUp: billing.fromTopUp,
      extraOrders: billing.extraOrders,
      extraOrdersCost: billing.extraOrdersCost,
      technicianHalfHours: tech.billedHalfHours,
      technicianCost: tech.technicianCost,
      total: billing.extraOrdersCost + tech.technicianCost,
      currency: tech.currency,
    },
    createdAt: row.createdAt,
    ...(row.startedAt ? { startedAt: row.startedAt } : {}),
    ...(row.completedAt ? { completedAt: row.completedAt } : {}),
  };
}

/**
 * The pace of a running import: orders finished a minute since it started, and the seconds left for
 * the rest of the estimate (or of what was found, when more) at that pace. None before the first order.
 */
export function pace(row: Pick<ImportRow, "startedAt" | "estimatedOrders" | "found">, finished: number, now = Date.now()): { ordersPerMinute?: number; etaSeconds?: number } {
  const minutes = row.startedAt ? (now - Date.parse(row.startedAt)) / 60_000 : 0;
  if (!(minutes > 0) || finished <= 0) return {};
  const perMinute = finished / minutes;
  const left = Math.max(0, Math.max(row.estimatedOrders, row.found) - finished);
  return { ordersPerMinute: Math.round(perMinute), etaSeconds: Math.ceil((left / perMinute) * 60) };
}

/** Errors of the import's orders (and, before it ran, of its preflight), with order number, message and hint. */
export async function importErrors(env: Env, row: ImportRow, category?: string) {
  const db = getDb(env);
  const rows = await db
    .select()
    .from(ledger)
    .where(and(eq(ledger.importId, row.id), eq(ledger.status, "failed"), category ? eq(ledger.errorCategory, category) : undefined))
    .all();
  const items = rows.map((r) => ({ orderId: r.shopOrderId, orderNumber: r.orderNumber, category: r.errorCategory!, message: r.errorMessage ?? "", hint: r.errorHint ?? "" }));
  const seen = new Set(items.map((i) => i.orderId));
  for (const e of (row.preflight as Preflight | null)?.errors ?? [])
    if (!seen.has(e.orderId) && (!category || e.category === category) && row.found === 0) items.push(e);
  return { items };
}
