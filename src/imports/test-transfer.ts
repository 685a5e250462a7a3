/** The test transfer of an import (R15): one order of the range, through the same intake as live orders. */
import { eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { imports } from "../db/schema";
import { TransferError } from "../domain/errors";
import { conflict, notFound, unprocessable } from "../lib/errors";
import { sleep } from "../lib/rate-limiter";
import { loadIntegration, type Integration } from "../integrations/store";
import { shopAdapters } from "../modules/adapters";
import { getLedgerRow } from "../transfers/ledger-store";
import { enqueue } from "../transfers/messages";
import { intakeOrder, TransferContext } from "../transfers/transfer";
import { createdWindow, inRange, orderNumberValue } from "./range";

import { auditImport, type ImportRow, type Preflight, rangeOf, requireReady } from "./lifecycle";
import { shopClient, transferredBefore } from "./pages";
/** A staff call (the test transfer) waits in place as long as one query of the shop's budget needs (Shopify: 1,000 points at 100/s). */
const STAFF_MAX_WAIT_MS = 12_000;
/** How long a test transfer waits, in all, for a shop that asks to come back. */
const STAFF_TOTAL_WAIT_SECONDS = 90;


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
