import { and, eq, inArray, isNull } from "drizzle-orm";
import { keyChunks, type Db } from "../db/client";
import { integrations, ledger } from "../db/schema";
import { TransferError } from "../domain/errors";
import type { CanonicalOrder } from "../domain/order";
import type { Integration } from "../integrations/store";
import { shopAdapters } from "../modules/adapters";
import { getModule, missingSettings } from "../modules/registry";
import type { ShopClient, ShopOrderPage } from "../modules/types";
import { enqueue, enqueueMany } from "./messages";
import { DONE, intakeOrder, type Outcome, type TransferContext } from "./transfer";

/** A poll holds its integration's cursor this long; a crashed poll's lease runs out and the next cron run goes on. */
export const POLL_LEASE_SECONDS = 120;

/**
 * Where polling goes on, stored as JSON in `integrations.poll_cursor`: orders changed at or after
 * `since`, from the shop's page cursor `page` (null: the first page). `leaseUntil` is set while a poll runs.
 */
interface PollCursor {
  since: string;
  page: string | null;
  leaseUntil?: string;
}

type Health = NonNullable<Integration["health"]>;

/**
 * One poll of a shop without webhooks, one page per message: the orders changed since the stored
 * cursor (first cursor: the integration's creation, R2) go through the intake, their transfers are
 * enqueued, and only then the cursor advances. Polls of one integration never overlap: a poll first
 * takes a lease on the cursor by compare-and-set, and advances it by compare-and-set on its own lease.
 * A shop failure leaves the cursor where it was and shows on the integration's health; the message
 * is acknowledged and the next cron run tries again.
 */
export async function pollIntegration(ctx: TransferContext, integration: Integration): Promise<Outcome> {
  if (integration.status !== "active") return DONE; // orders taken meanwhile are picked up once it is active
  const now = ctx.now();
  const stored = readCursor(integration);
  if (stored.leaseUntil && stored.leaseUntil > now.toISOString()) return DONE; // another poll is at work
  const leased = JSON.stringify({ since: stored.since, page: stored.page, leaseUntil: new Date(now.getTime() + POLL_LEASE_SECONDS * 1000).toISOString() });
  if (!(await swapCursor(ctx.db, integration.id, integration.pollCursor, leased))) return DONE;
  const release = (health?: Health) => swapCursor(ctx.db, integration.id, leased, integration.pollCursor, health);

  let page: ShopOrderPage;
  try {
    page = await (await openShopClient(ctx, integration)).listOrders({ by: "updated", from: stored.since, cursor: stored.page });
  } catch (e) {
    if (!(e instanceof TransferError)) {
      await release();
      throw e;
    }
    await release(unhealthy(e, now));
    return DONE;
  }
  try {
    const taken = await takeInPage(ctx, integration, page.orders);
    await enqueueTransfers(ctx.env, integration.id, taken.toTransfer);
    const next = nextCursor(stored, page, taken.lastUpdatedAt);
    const advanced = await swapCursor(ctx.db, integration.id, leased, JSON.stringify(next), { status: "ok", at: now.toISOString() });
    if (advanced && page.nextCursor) await enqueue(ctx.env, { type: "poll", integrationId: integration.id });
  } catch (e) {
    await release(); // the page is read again; what was recorded is recognised by its version
    throw e;
  }
  return DONE;
}

function readCursor(integration: Integration): PollCursor {
  const raw = integration.pollCursor;
  if (!raw) return { since: integration.createdAt, page: null };
  if (!raw.startsWith("{")) return { since: raw, page: null }; // a plain timestamp (earlier format)
  return JSON.parse(raw) as PollCursor;
}

/**
 * After a page: go on from the last change time seen, from its first page. Orders sharing that
 * timestamp are read again (and recognised by their version), so a page edge inside a group of equal
 * timestamps never skips one. Only when a whole page shares `since` does the shop's page cursor move on.
 */
export function nextCursor(stored: PollCursor, page: ShopOrderPage, lastUpdatedAt: string | null): PollCursor {
  if (lastUpdatedAt !== null && lastUpdatedAt > stored.since) return { since: lastUpdatedAt, page: null };
  if (page.nextCursor) return { since: stored.since, page: page.nextCursor };
  return { since: stored.since, page: null };
}

/** Compare-and-set of the stored cursor (null-safe), optionally with the health; true when this call changed it. */
async function swapCursor(db: Db, integrationId: string, from: string | null, to: string | null, health?: Health) {
  const result = await db
    .update(integrations)
    .set(health ? { pollCursor: to, health } : { pollCursor: to })
    .where(and(eq(integrations.id, integrationId), from === null ? isNull(integrations.pollCursor) : eq(integrations.pollCursor, from)))
    .run();
  return result.meta.changes > 0;
}

export const unhealthy = (e: TransferError, at: Date): Health => ({ status: "shop_unavailable", category: e.category, message: e.message, at: at.toISOString() });

export async function setHealth(db: Db, integrationId: string, health: Health) {
  await db.update(integrations).set({ health }).where(eq(integrations.id, integrationId));
}

/** The shop module's order API with the integration's settings; refuses while settings (e.g. credentials cleared by a URL change) are missing. */
export async function openShopClient(ctx: TransferContext, integration: Integration): Promise<ShopClient> {
  const settings = await ctx.shopSettings(integration);
  const missing = missingSettings(getModule("shop", integration.shopModule)!, settings);
  if (missing.length) throw new TransferError("shop_unavailable", `The shop settings are incomplete (${missing.join(", ")}): enter them again`);
  const client = shopAdapters[integration.shopModule].client?.(ctx.shopContext(integration, settings));
  if (!client) throw new TransferError("shop_unavailable", `The ${integration.shopModule} module cannot read orders from the shop`);
  return client;
}

/**
 * A page of orders read from the shop (poll or reconciliation) into the single intake. A version the
 * ledger already holds is passed over: a re-read at a page edge or an overlap window neither records
 * a note nor enqueues the transfer a second time (a row left pending without its message is the
 * outbox relay's job).
 */
export async function takeInPage(ctx: TransferContext, integration: Integration, raws: unknown[]) {
  const shop = shopAdapters[integration.shopModule];
  const shopSettings = await ctx.shopSettings(integration);
  const seen = raws.map((raw) => {
    try {
      return { raw, order: shop.toOrder(raw, shopSettings) as CanonicalOrder | null };
    } catch {
      return { raw, order: null }; // the intake records why it cannot be read
    }
  });
  const known = await knownVersions(ctx.db, integration.id, seen.flatMap((s) => (s.order ? [s.order.shopOrderId] : [])));
  const toTransfer: string[] = [];
  let lastUpdatedAt: string | null = null;
  for (const { raw, order } of seen) {
    if (order && (lastUpdatedAt === null || order.updatedAt > lastUpdatedAt)) lastUpdatedAt = order.updatedAt;
    if (order && known.get(order.shopOrderId) === order.updatedAt) continue;
    const outcome = await intakeOrder(ctx, integration, {
      raw,
      rawText: JSON.stringify(raw),
      source: "poll",
      isUpdate: order !== null && order.updatedAt > order.createdAt,
      active: true,
      inline: false,
    });
    if (outcome.done && outcome.enqueue) toTransfer.push(outcome.enqueue);
  }
  return { toTransfer, lastUpdatedAt };
}

/** The order versions (shop's last change time) the ledger holds, by shop order id. */
async function knownVersions(db: Db, integrationId: string, shopOrderIds: string[]) {
  const known = new Map<string, string | null>();
  for (const chunk of keyChunks(shopOrderIds)) {
    const rows = await db
      .select({ id: ledger.shopOrderId, v: ledger.orderUpdatedAt })
      .from(ledger)
      .where(and(eq(ledger.integrationId, integrationId), inArray(ledger.shopOrderId, chunk)))
      .all();
    for (const r of rows) known.set(r.id, r.v);
  }
  return known;
}

/** Sends transfer messages in batches of 100 (the Queues limit per sendBatch). */
export async function enqueueTransfers(env: Env, integrationId: string, shopOrderIds: string[]) {
  await enqueueMany(env, shopOrderIds.map((shopOrderId) => ({ type: "transfer", integrationId, shopOrderId })));
}
