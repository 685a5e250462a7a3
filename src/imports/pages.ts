/**
 * One page of an import (preflight or run), one queue message each: the shop is read from the stored
 * cursor (a page, or a step of a bulk export), the orders are checked (preflight) or taken in (run), and
 * the cursor and counts advance in one conditional write, so a repeated message changes nothing.
 */
import type { CanonicalOrder } from "../domain/order";
import { and, eq, inArray } from "drizzle-orm";
import { accountStub } from "../account/client";
import { getDb, keyChunks, type Db } from "../db/client";
import { imports, ledger } from "../db/schema";
import { TransferError } from "../domain/errors";
import { loadIntegration, type Integration } from "../integrations/store";
import { shopAdapters } from "../modules/adapters";
import type { ShopClient } from "../modules/types";
import { readPage, type PageRead } from "../transfers/shop-pages";
import { enqueue } from "../transfers/messages";
import { importPaused } from "../notify";
import { enqueueTransfers } from "../transfers/poll";
import { intakeOrder, TransferContext } from "../transfers/transfer";
import { createdWindow, inRange, orderNumberValue, scopeExceeded } from "./range";

import { auditImport, maybeComplete, type ImportRow, type Preflight, rangeOf } from "./lifecycle";
/** Preflight errors kept for the report (the counts are complete; the list is capped). */
const PREFLIGHT_ERROR_LIST = 500;

/** A shop that asks to come back (throttled, 429/503 with Retry-After) within this is waited for, not paused. */
const MAX_SHOP_WAIT_SECONDS = 900;

export function shopClient(ctx: TransferContext, integration: Integration, settings: Record<string, unknown>, maxWaitMs?: number): ShopClient {
  const client = shopAdapters[integration.shopModule].client?.(ctx.shopContext(integration, settings, maxWaitMs));
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
  const orders: PageOrders["orders"] = [];
  for (const raw of page.orders) {
    try {
      const order = shop.toOrder(raw, shopSettings);
      if (inRange(range, order)) orders.push({ raw, order });
    } catch {
      // Unreadable orders are recorded by the run's intake as invalid_order; the preflight counts them.
      if (preflight) orders.push({ raw, order: null });
    }
  }
  const read = { orders, nextCursor: page.nextCursor, delaySeconds: page.delaySeconds };
  if (preflight) await preflightPage(ctx, row, integration, msg.seq, read);
  else await runPage(ctx, row, integration, msg.seq, read);
}

type PageOrders = { orders: { raw: unknown; order: CanonicalOrder | null }[]; nextCursor: string | null; delaySeconds?: number };

/** A preflight page: each order counted and checked against the books, creating nothing; the test transfer's order noted. */
async function preflightPage(ctx: TransferContext, row: ImportRow, integration: Integration, seq: number, { orders, nextCursor, delaySeconds }: PageOrders) {
  const db = ctx.db;
  const shop = shopAdapters[integration.shopModule];
  const shopSettings = await ctx.shopSettings(integration);
  const pf = structuredClone(row.preflight as Preflight);
  const session = await ctx.session(integration);
  const allowed = shop.allowedStates(shopSettings);
  const earlier = await transferredBefore(db, integration.id, orders.flatMap(({ order }) => (order ? [order.shopOrderId] : [])));
  for (const { raw, order } of orders) {
    pf.ordersFound++;
    // R22: refunded earlier orders come with their credit notes; the preflight says how many.
    pf.refundsFound = (pf.refundsFound ?? 0) + (shop.refundCount?.(raw) ?? 0);
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
    .set({ preflight: pf, preflightCursor: nextCursor, preflightSeq: seq + 1 })
    .where(and(eq(imports.id, row.id), eq(imports.preflightSeq, seq)))
    .returning({ id: imports.id })
    .get();
  if (advanced && nextCursor) await sendPage(ctx.env, row.id, "preflight", seq + 1, delaySeconds);
}

/** A run page: each order through the same intake as live orders (R16), recorded before the cursor moves. */
async function runPage(ctx: TransferContext, row: ImportRow, integration: Integration, seq: number, { orders, nextCursor, delaySeconds }: PageOrders) {
  const db = ctx.db;
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
      runSeq: seq + 1,
      found: total,
      fetchDone: nextCursor ? 0 : 1,
      // R17: too many orders: pause until staff record a new quote.
      ...(exceeded ? { status: "paused", pauseReason: "scope_exceeded" } : {}),
    })
    .where(and(eq(imports.id, row.id), eq(imports.runSeq, seq), eq(imports.status, "running")))
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
  if (nextCursor && !exceeded) await sendPage(ctx.env, row.id, "run", seq + 1, delaySeconds);
  if (!nextCursor) await maybeComplete(ctx.env, row.id);
}

/** Which of these orders are already in the books (transferred live or by an earlier import, R19). */
export async function transferredBefore(db: Db, integrationId: string, shopOrderIds: string[]) {
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
