/**
 * Imports of earlier orders (R13–R19): the staff-run, paid backward transfer, from draft to report.
 * Every order goes through the same intake and transfer as live orders (R16); charges carry the
 * import's id, so its billing comes from the same charge rows as the month's usage.
 */
import { and, count, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import { accountStub } from "../account/client";
import { getDb, keyChunks, type Db } from "../db/client";
import { audit } from "../db/audit";
import { creditNotes, importTimeEntries, imports, ledger } from "../db/schema";
import { TransferError } from "../domain/errors";
import { halfHoursFor } from "../domain/pricing";
import { conflict, invalid, notFound, unprocessable } from "../lib/errors";
import { newId } from "../lib/ids";
import { sleep } from "../lib/rate-limiter";
import { copenhagenDate, isValidDate, nowIso } from "../lib/time";
import { loadIntegration, missingForActivation, type Integration } from "../integrations/store";
import { shopAdapters } from "../modules/adapters";
import type { ShopClient } from "../modules/types";
import { readPage, type PageRead } from "../transfers/shop-pages";
import { priceList, tenantPlan } from "../account/prices";
import { getLedgerRow } from "../transfers/ledger-store";
import { enqueue } from "../transfers/messages";
import { importCompleted, importPaused, importResumed } from "../notify";
import { enqueueTransfers } from "../transfers/poll";
import { intakeOrder, TransferContext } from "../transfers/transfer";
import { createdWindow, inRange, orderNumberValue, scopeExceeded, type ImportRange } from "./range";

export type ImportRow = typeof imports.$inferSelect;
type Status = "draft" | "approved" | "running" | "paused" | "completed" | "cancelled";

/** Preflight errors kept for the report (the counts are complete; the list is capped). */
const PREFLIGHT_ERROR_LIST = 500;

export type Preflight = NonNullable<ImportRow["preflight"]>;

export async function loadImport(env: Env, id: string): Promise<ImportRow> {
  const row = await getDb(env).select().from(imports).where(eq(imports.id, id)).get();
  if (!row) throw notFound("Import");
  return row;
}

function auditImport(db: Db, actor: string, action: string, row: Pick<ImportRow, "id" | "tenantId">, details?: Record<string, unknown>) {
  return audit(db, { actor, action, target: { type: "import", id: row.id, tenantId: row.tenantId }, details });
}

const rangeOf = (row: ImportRow, integration: Integration): ImportRange => ({
  fromDate: row.fromDate,
  toDate: row.toDate,
  fromOrderNumber: row.fromOrderNumber,
  startAt: integration.startAt ?? integration.createdAt,
});

/** R15: an import needs an active, fully configured integration. */
async function requireReady(env: Env, integration: Integration) {
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

function requireScope(row: ImportRow) {
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

/** A staff call (the test transfer) waits in place as long as one query of the shop's budget needs (Shopify: 1,000 points at 100/s). */
const STAFF_MAX_WAIT_MS = 12_000;
/** How long a test transfer waits, in all, for a shop that asks to come back. */
const STAFF_TOTAL_WAIT_SECONDS = 90;
/** A shop that asks to come back (throttled, 429/503 with Retry-After) within this is waited for, not paused. */
const MAX_SHOP_WAIT_SECONDS = 900;

function shopClient(ctx: TransferContext, integration: Integration, settings: Record<string, unknown>, maxWaitMs?: number): ShopClient {
  const client = shopAdapters[integration.shopModule].client?.({ integrationId: integration.id, settings, env: ctx.env, db: ctx.db, fetch: ctx.fetch, maxWaitMs });
  if (!client) throw new TransferError("shop_unavailable", `The ${integration.shopModule} module cannot read earlier orders`);
  return client;
}

/**
 * One queue message per page of an import (preflight or run); while a bulk export runs, the next look
 * at it comes after a delay.
 */
function sendPage(env: Env, importId: string, phase: "preflight" | "run", seq: number, delaySeconds?: number) {
  return enqueue(env, { type: "import_page", importId, phase, seq }, delaySeconds);
}

/** Imports of at least this many (estimated) orders read the shop with a bulk export where it has one; smaller ones page. */
export const BULK_MIN_ORDERS = 25;

/**
 * Reading the shop stopped (it refused, is down, its export failed, or the page's message ran out of
 * retries): a run pauses with `shop_unavailable` and the message (resume goes on from the stored cursor,
 * or `restartCursor`); a preflight ends with the message as its shop error. Only for the page it was at.
 */
export async function stopReading(env: Env, row: ImportRow, msg: { phase: "preflight" | "run"; seq: number }, message: string, restartCursor?: string) {
  const db = getDb(env);
  if (msg.phase === "run") {
    const paused = await db
      .update(imports)
      .set({ status: "paused", pauseReason: "shop_unavailable", pauseMessage: message, ...(restartCursor ? { cursor: restartCursor } : {}) })
      .where(and(eq(imports.id, row.id), eq(imports.status, "running"), eq(imports.runSeq, msg.seq)))
      .returning({ id: imports.id })
      .get();
    if (!paused) return;
    await accountStub(env, row.tenantId).release(row.id);
    await importPaused(env, { ...row, pauseReason: "shop_unavailable" });
  } else {
    const pf = row.preflight as Preflight | null;
    if (pf?.status !== "running") return;
    await db
      .update(imports)
      .set({ preflight: { ...pf, status: "done", shopError: message }, ...(restartCursor ? { preflightCursor: restartCursor } : {}) })
      .where(and(eq(imports.id, row.id), eq(imports.preflightSeq, msg.seq)));
  }
  await auditImport(db, "system", "import.shop_unavailable", row, { message });
}

/**
 * One page of an import (preflight or run), one queue message each: the page's orders are checked or
 * taken in, then the cursor and counts advance in one conditional write, so a repeated message changes
 * nothing and a restart goes on from the stored cursor.
 */
export async function handleImportPage(ctx: TransferContext, msg: { importId: string; phase: "preflight" | "run"; seq: number }) {
  const db = ctx.db;
  const row = await db.select().from(imports).where(eq(imports.id, msg.importId)).get();
  if (!row) return;
  const preflight = msg.phase === "preflight";
  if (preflight ? row.preflightSeq !== msg.seq || (row.preflight as Preflight | null)?.status !== "running" : row.runSeq !== msg.seq || row.status !== "running") return;
  const integration = (await loadIntegration(ctx.env, row.integrationId))!;
  const range = rangeOf(row, integration);
  const window = createdWindow(range);
  let page: PageRead;
  const cursor = preflight ? row.preflightCursor : row.cursor;
  try {
    const client = shopClient(ctx, integration, await ctx.shopSettings(integration));
    page = await readPage(client, { by: "created", from: window.from, to: window.to }, cursor, row.estimatedOrders >= BULK_MIN_ORDERS);
  } catch (e) {
    const err = e instanceof TransferError ? e : new TransferError("shop_unavailable", String(e));
    // Throttled or busy (THROTTLED, 429/503 with Retry-After): the same page comes back after the shop's
    // wait as a new message, so a busy shop never uses up the message's retries or fails an order.
    if (err.retryAfterSeconds !== undefined && err.retryAfterSeconds <= MAX_SHOP_WAIT_SECONDS) {
      await sendPage(ctx.env, msg.importId, msg.phase, msg.seq, Math.max(1, err.retryAfterSeconds));
      return;
    }
    // The shop refused or is down, or its export failed: pause with a clear reason instead of losing
    // pages. A failed export is started again on resume, after the last order taken.
    const restart = typeof err.details?.restartCursor === "string" ? err.details.restartCursor : undefined;
    await stopReading(ctx.env, row, msg, err.message, restart);
    return;
  }
  const shop = shopAdapters[integration.shopModule];
  const shopSettings = await ctx.shopSettings(integration);
  const orders = [];
  for (const raw of page.orders) {
    try {
      const order = shop.toOrder(raw, shopSettings);
      if (inRange(range, order)) orders.push({ raw, order });
    } catch {
      // Unreadable orders are recorded by the run's intake as invalid_order; the preflight counts them.
      if (preflight) orders.push({ raw, order: null });
    }
  }
  const nextCursor = page.nextCursor;
  if (preflight) {
    const pf = structuredClone(row.preflight as Preflight);
    const session = await ctx.session(integration);
    const allowed = shop.allowedStates(shopSettings);
    const earlier = await transferredBefore(db, integration.id, orders.flatMap(({ order }) => (order ? [order.shopOrderId] : [])));
    for (const { raw, order } of orders) {
      pf.ordersFound++;
      const problem = order
        ? allowed.includes(order.state)
          ? await session.check(order)
          : null
        : new TransferError("invalid_order", "The order data cannot be read");
      // The test transfer's order: the lowest order number that passes and is not in the books yet.
      if (!problem && order && allowed.includes(order.state) && !earlier.has(order.shopOrderId)) {
        const n = orderNumberValue(order.orderNumber) ?? Number.MAX_SAFE_INTEGER;
        if (!pf.testCandidate || n < pf.testCandidate.orderNumber) pf.testCandidate = { orderId: order.shopOrderId, orderNumber: n };
      }
      if (!problem) continue;
      pf.errorsByCategory[problem.category] = (pf.errorsByCategory[problem.category] ?? 0) + 1;
      if ((pf.errors ??= []).length < PREFLIGHT_ERROR_LIST) {
        const identity = order ? null : shop.identify(raw);
        pf.errors.push({
          orderId: order?.shopOrderId ?? identity?.shopOrderId ?? "",
          orderNumber: order?.orderNumber ?? identity?.orderNumber ?? "",
          category: problem.category,
          message: problem.message,
          hint: problem.hint,
        });
      }
    }
    if (!nextCursor) pf.status = "done";
    const advanced = await db
      .update(imports)
      .set({ preflight: pf, preflightCursor: nextCursor, preflightSeq: msg.seq + 1 })
      .where(and(eq(imports.id, row.id), eq(imports.preflightSeq, msg.seq)))
      .returning({ id: imports.id })
      .get();
    if (advanced && nextCursor) await sendPage(ctx.env, row.id, "preflight", msg.seq + 1, page.delaySeconds);
    return;
  }

  // The run: each order through the same intake as live orders (R16), recorded before the cursor moves.
  const toTransfer: string[] = [];
  for (const { raw } of orders) {
    const outcome = await intakeOrder(ctx, integration, { raw, rawText: JSON.stringify(raw), source: "import", importId: row.id, isUpdate: false, active: true, inline: false });
    if (outcome.done && outcome.enqueue) toTransfer.push(outcome.enqueue);
  }
  const total = row.found + orders.length;
  const exceeded = scopeExceeded(total, row.estimatedOrders);
  const advanced = await db
    .update(imports)
    .set({
      cursor: nextCursor,
      runSeq: msg.seq + 1,
      found: total,
      fetchDone: nextCursor ? 0 : 1,
      // R17: too many orders: pause until staff record a new quote.
      ...(exceeded ? { status: "paused", pauseReason: "scope_exceeded" } : {}),
    })
    .where(and(eq(imports.id, row.id), eq(imports.runSeq, msg.seq), eq(imports.status, "running")))
    .returning({ id: imports.id })
    .get();
  if (!advanced) return;
  // Past the estimate the page's orders wait (pending, nothing due) for a new quote: resume enqueues them.
  if (!exceeded) await enqueueTransfers(ctx.env, integration.id, toTransfer);
  else {
    for (const chunk of keyChunks(toTransfer))
      await db.update(ledger).set({ nextAttemptAt: null }).where(and(eq(ledger.integrationId, integration.id), inArray(ledger.shopOrderId, chunk), eq(ledger.status, "pending")));
    await accountStub(ctx.env, row.tenantId).release(row.id);
    await importPaused(ctx.env, { ...row, found: total, pauseReason: "scope_exceeded" });
  }
  if (nextCursor && !exceeded) await sendPage(ctx.env, row.id, "run", msg.seq + 1, page.delaySeconds);
  if (!nextCursor) await maybeComplete(ctx.env, row.id);
}

/** Which of these orders are already in the books (transferred live or by an earlier import, R19). */
async function transferredBefore(db: Db, integrationId: string, shopOrderIds: string[]) {
  const found = new Set<string>();
  for (const chunk of keyChunks(shopOrderIds))
    for (const r of await db
      .select({ id: ledger.shopOrderId })
      .from(ledger)
      .where(and(eq(ledger.integrationId, integrationId), inArray(ledger.shopOrderId, chunk), eq(ledger.status, "transferred")))
      .all())
      found.add(r.id);
  return found;
}

// ---- test transfer and approval (R15) ----

/** The first page(s) of the range, to find the test order without a full preflight. */
async function findTestOrder(ctx: TransferContext, row: ImportRow, integration: Integration, orderId?: string) {
  const range = rangeOf(row, integration);
  const window = createdWindow(range);
  const client = shopClient(ctx, integration, await ctx.shopSettings(integration), STAFF_MAX_WAIT_MS);
  const shop = shopAdapters[integration.shopModule];
  const shopSettings = await ctx.shopSettings(integration);
  const allowed = shop.allowedStates(shopSettings);
  const session = await ctx.session(integration);
  if (orderId && client.getOrder) {
    const raw = await client.getOrder(orderId);
    if (!raw) return null;
    try {
      return inRange(range, shop.toOrder(raw, shopSettings)) ? raw : null;
    } catch {
      return null;
    }
  }
  const earlierIds = new Set<string>();
  let cursor: string | null | undefined = null;
  let best: { raw: unknown; n: number } | null = null;
  for (let pages = 0; pages < 20; pages++) {
    const page = await client.listOrders({ by: "created", from: window.from, to: window.to, cursor });
    const ids = page.orders.flatMap((raw) => {
      try {
        return [shop.toOrder(raw, shopSettings).shopOrderId];
      } catch {
        return [];
      }
    });
    for (const id of await transferredBefore(ctx.db, integration.id, ids)) earlierIds.add(id);
    for (const raw of page.orders) {
      let order;
      try {
        order = shop.toOrder(raw, shopSettings);
      } catch {
        continue;
      }
      if (!inRange(range, order)) continue;
      if (orderId) {
        if (order.shopOrderId === orderId) return raw;
        continue;
      }
      if (!allowed.includes(order.state) || earlierIds.has(order.shopOrderId) || (await session.check(order))) continue;
      const n = orderNumberValue(order.orderNumber) ?? Number.MAX_SAFE_INTEGER;
      if (!best || n < best.n) best = { raw, n };
    }
    // Pages come oldest first: the lowest order number is on the first page that has a passing order.
    if (best || !page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return (best as { raw: unknown } | null)?.raw ?? null;
}

export async function testTransfer(env: Env, row: ImportRow, body: { orderId?: string; useExistingOrderId?: string }, actor: string, ctx = new TransferContext(env)) {
  if (!["draft", "approved"].includes(row.status)) throw conflict("invalid_state", `An import that is ${row.status} cannot make a test transfer`);
  const integration = (await loadIntegration(env, row.integrationId))!;
  await requireReady(env, integration);
  let result: Record<string, unknown>;
  if (body.useExistingOrderId) {
    const existing = await getLedgerRow(ctx.db, integration.id, body.useExistingOrderId);
    if (!existing) throw notFound("Order");
    if (existing.status !== "transferred" || existing.importId === row.id)
      throw unprocessable("not_transferred", "Only an earlier successful transfer can be the reference", { status: existing.status });
    result = { orderId: existing.shopOrderId, status: "transferred", document: { type: existing.documentType, number: existing.documentNumber }, existing: true };
  } else {
    // The preflight found the order to take; then one order is read, not pages.
    const candidate = body.orderId ?? ((row.preflight as Preflight | null)?.status === "done" ? (row.preflight as Preflight).testCandidate?.orderId : undefined);
    let raw: unknown;
    for (let waited = 0; ; ) {
      try {
        raw = await findTestOrder(ctx, row, integration, candidate);
        // The preflight's order is gone meanwhile: the first passing order of the range instead.
        if (!raw && candidate && !body.orderId) raw = await findTestOrder(ctx, row, integration);
        break;
      } catch (e) {
        if (!(e instanceof TransferError)) throw e;
        // A busy shop (its query budget, 429/503 with Retry-After) is waited for: a staff call is never
        // refused because the shop was busy for a moment.
        const wait = e.retryAfterSeconds;
        if (wait === undefined || waited + wait > STAFF_TOTAL_WAIT_SECONDS) throw unprocessable("shop_unavailable", `The shop could not be read: ${e.message}`);
        await sleep(Math.max(1, wait) * 1000);
        waited += Math.max(1, wait);
      }
    }
    if (!raw) throw body.orderId ? notFound("Order in the import's range") : unprocessable("no_test_order", "No order in the range passes the checks; see the preflight");
    const outcome = await intakeOrder(ctx, integration, { raw, rawText: JSON.stringify(raw), source: "import", importId: row.id, isUpdate: false, active: true });
    const order = shopAdapters[integration.shopModule].toOrder(raw, await ctx.shopSettings(integration));
    // A temporary failure: the queue retries the test order (its answer says pending meanwhile).
    if (!outcome.done)
      await enqueue(env, { type: "transfer", integrationId: integration.id, shopOrderId: order.shopOrderId }, outcome.delaySeconds);
    const ledgerRow = (await getLedgerRow(ctx.db, integration.id, order.shopOrderId))!;
    result = {
      orderId: ledgerRow.shopOrderId,
      orderNumber: ledgerRow.orderNumber,
      status: ledgerRow.status,
      ...(ledgerRow.reason ? { reason: ledgerRow.reason } : {}),
      ...(ledgerRow.documentNumber ? { document: { type: ledgerRow.documentType, number: ledgerRow.documentNumber } } : {}),
      ...(ledgerRow.status === "failed" ? { error: { category: ledgerRow.errorCategory, message: ledgerRow.errorMessage, hint: ledgerRow.errorHint } } : {}),
    };
  }
  const db = getDb(env);
  await db.batch([db.update(imports).set({ testTransfer: result }).where(eq(imports.id, row.id)), auditImport(db, actor, "import.test_transfer", row, result)]);
  return result;
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

async function technician(db: Db, row: ImportRow) {
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
    ...(pf ? { preflight: { status: pf.status, ordersFound: pf.ordersFound, errorsByCategory: pf.errorsByCategory, ...(pf.shopError ? { shopError: pf.shopError } : {}) } } : {}),
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

