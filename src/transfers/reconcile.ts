import { TransferError } from "../domain/errors";
import { isWebhookShop, type Integration } from "../integrations/store";
import type { ShopClient } from "../modules/types";
import { isBulkCursor, readPage, type PageRead } from "./shop-pages";
import { type TransferMessage, enqueue } from "./messages";
import { enqueueTransfers, openShopClient, setHealth, takeInPage, unhealthy } from "./poll";
import { DONE, type Outcome, type TransferContext } from "./transfer";
import { reconciled } from "../notify";

/** How far back a sweep looks: webhooks retried for hours (Shopify) or lost (WooCommerce) are inside it. */
export const RECONCILE_WINDOW_HOURS = 48;
/**
 * A sweep of more pages than this goes on with a bulk export of the window where the shop offers one
 * (Shopify: a page is 3 orders and ~940 of the 1,000 points restored per 10 s; an export costs a few).
 */
const PAGES_BEFORE_BULK = 3;
/** A throttled page is tried again after the shop's wait, when that is this short; else the next sweep takes it. */
const MAX_THROTTLE_WAIT_SECONDS = 900;

type ReconcileMessage = Extract<TransferMessage, { type: "reconcile" }>;

/**
 * The sweep for webhook shops: the orders changed in the last 48 hours (never before the start point,
 * R3) go through the same intake as a webhook, one page per message. Versions the ledger already holds
 * are passed over, and a transferred order is never transferred again (R7), so the overlap is harmless.
 */
export async function reconcileIntegration(ctx: TransferContext, integration: Integration, msg: ReconcileMessage): Promise<Outcome> {
  if (integration.status !== "active" || !integration.startAt || !isWebhookShop(integration)) return DONE;
  const now = ctx.now();
  const windowStart = new Date(now.getTime() - RECONCILE_WINDOW_HOURS * 3600_000).toISOString();
  const from = msg.from ?? (windowStart > integration.startAt ? windowStart : integration.startAt);
  let page: PageRead;
  let client: ShopClient;
  try {
    client = await openShopClient(ctx, integration);
    page = await readPage(client, { by: "updated", from }, msg.cursor ?? null, !!msg.bulk);
  } catch (e) {
    if (!(e instanceof TransferError)) throw e;
    if (e.retryAfterSeconds !== undefined && e.retryAfterSeconds <= MAX_THROTTLE_WAIT_SECONDS) return { done: false, delaySeconds: e.retryAfterSeconds };
    await setHealth(ctx.db, integration.id, unhealthy(e, now));
    return DONE;
  }
  const { toTransfer } = await takeInPage(ctx, integration, page.orders);
  await enqueueTransfers(ctx.env, integration.id, toTransfer);
  await reconciled(ctx, integration, now, !page.nextCursor);
  if (integration.health?.status !== "ok") await setHealth(ctx.db, integration.id, { status: "ok", at: now.toISOString() });
  const pages = (msg.pages ?? 0) + 1;
  if (page.nextCursor) {
    // Many changed orders: the rest of the window comes from one export (the overlap is passed over).
    const next: TransferMessage =
      pages >= PAGES_BEFORE_BULK && client.bulk && !msg.bulk && !isBulkCursor(page.nextCursor)
        ? { type: "reconcile", integrationId: integration.id, from, cursor: null, pages, bulk: true }
        : { type: "reconcile", integrationId: integration.id, from, cursor: page.nextCursor, pages, bulk: msg.bulk };
    await enqueue(ctx.env, next, page.delaySeconds);
  }
  return DONE;
}
