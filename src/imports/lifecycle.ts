/**
 * Imports of earlier orders (R13–R19): the lifecycle from draft to completed (create, preflight start,
 * approval, start, pause, resume, cancel, completion) and the technician time. Every order goes through
 * the same intake and transfer as live orders (R16); charges carry the import's id.
 */
import { and, count, eq, isNull, sql } from "drizzle-orm";
import { accountStub } from "../account/client";
import { getDb, type Db } from "../db/client";
import { audit } from "../db/audit";
import { importTimeEntries, imports, ledger } from "../db/schema";
import { conflict, invalid, notFound, unprocessable } from "../lib/errors";
import { newId } from "../lib/ids";
import { copenhagenDate, isValidDate, nowIso } from "../domain/calendar";
import { loadIntegration, missingForActivation, type Integration } from "../integrations/store";
import { tenantPlan } from "../account/prices";
import { enqueue } from "../transfers/messages";
import { importCompleted, importPaused, importResumed } from "../notify";
import { enqueueTransfers } from "../transfers/poll";
import { orderNumberValue, scopeExceeded, type ImportRange } from "./range";

import { importView, technician } from "./report";
export type ImportRow = typeof imports.$inferSelect;
type Status = "draft" | "approved" | "running" | "paused" | "completed" | "cancelled";


export type Preflight = NonNullable<ImportRow["preflight"]>;

export async function loadImport(env: Env, id: string): Promise<ImportRow> {
  const row = await getDb(env).select().from(imports).where(eq(imports.id, id)).get();
  if (!row) throw notFound("Import");
  return row;
}

export function auditImport(db: Db, actor: string, action: string, row: Pick<ImportRow, "id" | "tenantId">, details?: Record<string, unknown>) {
  return audit(db, { actor, action, target: { type: "import", id: row.id, tenantId: row.tenantId }, details });
}

export const rangeOf = (row: ImportRow, integration: Integration): ImportRange => ({
  fromDate: row.fromDate,
  toDate: row.toDate,
  fromOrderNumber: row.fromOrderNumber,
  startAt: integration.startAt ?? integration.createdAt,
});

/** R15: an import needs an active, fully configured integration. */
export async function requireReady(env: Env, integration: Integration) {
  const missing = await missingForActivation(env, integration);
  if (integration.status !== "active" || missing.length)
    throw unprocessable("integration_not_ready", "The integration must be active and fully configured before an import", {
      status: integration.status,
      missing,
    });
}

export interface CreateImport {
  integrationId: string;
  fromDate: string;
  fromOrderNumber?: string;
  toDate?: string;
  estimatedOrders: number;
  acceptedHalfHours?: number;
}

export async function createImport(env: Env, body: CreateImport, actor: string) {
  const integration = await loadIntegration(env, body.integrationId);
  if (!integration) throw notFound("Integration");
  await requireReady(env, integration);
  const today = copenhagenDate(new Date());
  const toDate = body.toDate ?? copenhagenDate(integration.startAt ?? integration.createdAt);
  const issues = [];
  if (!isValidDate(body.fromDate)) issues.push({ path: "fromDate", message: "must be a date YYYY-MM-DD" });
  else if (body.fromDate > today) issues.push({ path: "fromDate", message: "must not be in the future" });
  if (!isValidDate(toDate)) issues.push({ path: "toDate", message: "must be a date YYYY-MM-DD" });
  else if (toDate > today) issues.push({ path: "toDate", message: "must not be in the future" });
  if (!issues.length && body.fromDate > toDate) issues.push({ path: "fromDate", message: "must not be after toDate" });
  if (body.fromOrderNumber !== undefined && orderNumberValue(body.fromOrderNumber) === null)
    issues.push({ path: "fromOrderNumber", message: "must contain an order number" });
  if (issues.length) throw invalid("The import range is not valid", { issues });
  const row: ImportRow = {
    id: newId("imp"),
    tenantId: integration.tenantId,
    integrationId: integration.id,
    status: "draft",
    pauseReason: null,
    pauseMessage: null,
    fromDate: body.fromDate,
    fromOrderNumber: body.fromOrderNumber ?? null,
    toDate,
    estimatedOrders: body.estimatedOrders,
    acceptedHalfHours: body.acceptedHalfHours ?? 1,
    technicianMinutes: 0,
    preflight: null,
    testTransfer: null,
    approval: null,
    cursor: null,
    runSeq: 0,
    preflightCursor: null,
    preflightSeq: 0,
    fetchDone: 0,
    found: 0,
    createdAt: nowIso(),
    startedAt: null,
    completedAt: null,
  };
  const db = getDb(env);
  await db.batch([db.insert(imports).values(row), auditImport(db, actor, "import.create", row, { ...body })]);
  return row;
}

/** Moves an import from one of `from` to `to` atomically; 409 invalid_state when it is in another state. */
async function transition(env: Env, row: ImportRow, from: Status[], set: Partial<ImportRow>, actor: string, action: string, details?: Record<string, unknown>) {
  if (!from.includes(row.status as Status)) throw conflict("invalid_state", `An import that is ${row.status} cannot do this`, { status: row.status });
  const db = getDb(env);
  const [updated] = await db.batch([
    db
      .update(imports)
      .set(set)
      .where(and(eq(imports.id, row.id), eq(imports.status, row.status)))
      .returning(),
    auditImport(db, actor, action, row, details),
  ]);
  if (!updated.length) throw conflict("invalid_state", "The import changed meanwhile; look again", { status: row.status });
  return updated[0];
}

export async function patchImport(env: Env, row: ImportRow, patch: { estimatedOrders?: number; acceptedHalfHours?: number }, actor: string) {
  const set: Partial<ImportRow> = {};
  if (patch.estimatedOrders !== undefined) set.estimatedOrders = patch.estimatedOrders;
  if (patch.acceptedHalfHours !== undefined) set.acceptedHalfHours = patch.acceptedHalfHours;
  return transition(env, row, ["draft", "approved", "running", "paused"], set, actor, "import.patch", patch);
}

function found(row: ImportRow) {
  return Math.max(row.found, ((row.preflight as Preflight | null)?.ordersFound ?? 0));
}

export function requireScope(row: ImportRow) {
  if (scopeExceeded(found(row), row.estimatedOrders))
    throw conflict("scope_exceeded", "More orders were found than the estimate allows (over 25 % more): record a new quote first (R17)", {
      found: found(row),
      estimatedOrders: row.estimatedOrders,
    });
}

// ---- preflight ----

export async function startPreflight(env: Env, row: ImportRow, actor: string) {
  const integration = (await loadIntegration(env, row.integrationId))!;
  await requireReady(env, integration);
  const preflight: Preflight = { status: "running", ordersFound: 0, errorsByCategory: {}, errors: [] };
  const seq = row.preflightSeq + 1;
  const updated = await transition(env, row, ["draft", "approved", "paused"], { preflight, preflightCursor: null, preflightSeq: seq }, actor, "import.preflight");
  await enqueue(env, { type: "import_page", importId: row.id, phase: "preflight", seq });
  return updated;
}

/** R15: the customer (settings page) or staff on their behalf approve the test transfer; both audited. */
export async function approveImport(env: Env, importId: string, by: { by: "customer" | "staff"; actor: string; note?: string }) {
  const row = await loadImport(env, importId);
  if (row.status !== "draft") throw conflict("invalid_state", `An import that is ${row.status} cannot be approved`);
  if ((row.testTransfer as { status?: string } | null)?.status !== "transferred")
    throw conflict("test_transfer_required", "A successful test transfer is needed before approval (R15)");
  const approval = { by: by.by, actor: by.actor, note: by.note ?? null, at: nowIso() };
  return transition(env, row, ["draft"], { status: "approved", approval }, by.actor, "import.approve", approval);
}

// ---- running ----

export async function startImport(env: Env, row: ImportRow, actor: string) {
  const resumable = row.status === "paused" && row.pauseReason === "scope_exceeded";
  if (row.status === "draft") throw conflict("not_approved", "The import must be approved first (R15)");
  if (row.status !== "approved" && !resumable) throw conflict("invalid_state", `An import that is ${row.status} cannot start`);
  requireScope(row);
  const integration = (await loadIntegration(env, row.integrationId))!;
  await requireReady(env, integration);
  return run(env, row, actor, "import.start", row.status === "approved" ? { startedAt: nowIso() } : {});
}

export async function resumeImport(env: Env, row: ImportRow, actor: string) {
  if (row.status !== "paused") throw conflict("invalid_state", `An import that is ${row.status} cannot resume`);
  requireScope(row);
  return run(env, row, actor, "import.resume", {});
}

async function run(env: Env, row: ImportRow, actor: string, action: string, extra: Partial<ImportRow>) {
  const seq = row.runSeq + 1;
  const updated = await transition(env, row, ["approved", "paused"], { status: "running", pauseReason: null, pauseMessage: null, runSeq: seq, ...extra }, actor, action);
  await importResumed(env, row.id);
  // Hold this month's included orders for the import's remaining estimate (the account's reservation policy).
  const db = getDb(env);
  const { plan } = await tenantPlan(db, row.tenantId);
  await accountStub(env, row.tenantId).reserve(row.id, Math.max(0, row.estimatedOrders), plan);
  // Orders recorded before a pause wait as pending; they go on now.
  const waiting = await db
    .select({ shopOrderId: ledger.shopOrderId })
    .from(ledger)
    .where(and(eq(ledger.importId, row.id), eq(ledger.status, "pending")))
    .all();
  await db.update(ledger).set({ nextAttemptAt: nowIso() }).where(and(eq(ledger.importId, row.id), eq(ledger.status, "pending"), isNull(ledger.nextAttemptAt)));
  await enqueueTransfers(env, row.integrationId, waiting.map((w) => w.shopOrderId));
  if (updated.fetchDone) await maybeComplete(env, row.id);
  else await enqueue(env, { type: "import_page", importId: row.id, phase: "run", seq });
  return updated;
}

export async function pauseImport(env: Env, row: ImportRow, actor: string) {
  const updated = await transition(env, row, ["running"], { status: "paused", pauseReason: "staff" }, actor, "import.pause");
  await accountStub(env, row.tenantId).release(row.id); // a paused import holds nothing; resume holds again
  await importPaused(env, updated);
  return updated;
}

export async function cancelImport(env: Env, row: ImportRow, actor: string) {
  const updated = await transition(env, row, ["draft", "approved", "running", "paused"], { status: "cancelled", pauseReason: null, pauseMessage: null, completedAt: nowIso() }, actor, "import.cancel");
  // Orders the import recorded but did not transfer stay in the ledger as not transferred (an update,
  // "transfer again" or a new import can still take them).
  await getDb(env)
    .update(ledger)
    .set({ status: "skipped", reason: "before_start", pendingSince: null, leaseUntil: null, updatedAt: nowIso() })
    .where(and(eq(ledger.importId, row.id), eq(ledger.status, "pending")));
  await accountStub(env, row.tenantId).release(row.id);
  return updated;
}

/** Whether an import's order may be transferred now: not while its import is paused or cancelled. */
export async function importAllowsTransfer(db: Db, importId: string) {
  const row = await db.select({ status: imports.status }).from(imports).where(eq(imports.id, importId)).get();
  return !row || !["paused", "cancelled"].includes(row.status);
}

/** Completed once every page is fetched and no order of the import is still pending; the hold is released. */
export async function maybeComplete(env: Env, importId: string) {
  const db = getDb(env);
  const pending = await db
    .select({ n: count() })
    .from(ledger)
    .where(and(eq(ledger.importId, importId), eq(ledger.status, "pending")))
    .get();
  if ((pending?.n ?? 0) > 0) return false;
  const done = await db
    .update(imports)
    .set({ status: "completed", completedAt: nowIso() })
    .where(and(eq(imports.id, importId), eq(imports.status, "running"), eq(imports.fetchDone, 1)))
    .returning()
    .get();
  if (done) await accountStub(env, done.tenantId).release(importId);
  if (done) await importCompleted(env, done, await importView(env, done));
  return !!done;
}

// ---- technician time (R14) ----

export async function addTime(env: Env, row: ImportRow, minutes: number, note: string, actor: string) {
  if (row.status === "cancelled") throw conflict("invalid_state", "The import is cancelled");
  const db = getDb(env);
  const [, [updated]] = await db.batch([
    db.insert(importTimeEntries).values({ importId: row.id, minutes, note }),
    db
      .update(imports)
      .set({ technicianMinutes: sql`${imports.technicianMinutes} + ${minutes}` })
      .where(eq(imports.id, row.id))
      .returning(),
    auditImport(db, actor, "import.time", row, { minutes, note }),
  ]);
  return technician(db, updated);
}

export async function addOffer(env: Env, row: ImportRow, halfHours: number, actor: string) {
  if (row.status === "cancelled" || row.status === "completed") throw conflict("invalid_state", `An import that is ${row.status} takes no new offer`);
  const db = getDb(env);
  const [[updated]] = await db.batch([
    db
      .update(imports)
      .set({ acceptedHalfHours: sql`${imports.acceptedHalfHours} + ${halfHours}` })
      .where(eq(imports.id, row.id))
      .returning(),
    auditImport(db, actor, "import.offer", row, { halfHours }),
  ]);
  return updated;
}
