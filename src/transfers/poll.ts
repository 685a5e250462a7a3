import { eq } from "drizzle-orm";
import { integrations } from "../db/schema";
import type { Integration } from "../integrations/store";
import { changedSandboxOrders } from "../modules/sandbox/shop";
import type { TransferMessage } from "./messages";
import { DONE, intakeOrder, type Outcome, type TransferContext } from "./transfer";

/**
 * One poll of a shop without webhooks: the orders changed since the stored cursor (first cursor: the
 * integration's creation, R2) are recorded in the ledger and their transfers enqueued; the cursor
 * advances only after the page is safely recorded. A full page enqueues the next poll at once.
 */
export async function pollIntegration(ctx: TransferContext, integration: Integration): Promise<Outcome> {
  if (integration.status !== "active") return DONE; // orders taken meanwhile are picked up once it is active
  if (integration.shopModule !== "sandbox") return DONE;
  const since = integration.pollCursor ?? integration.createdAt;
  const PAGE = 100;
  const page = await changedSandboxOrders(ctx.db, integration.id, since, PAGE);
  const toTransfer: string[] = [];
  for (const o of page) {
    const outcome = await intakeOrder(ctx, integration, {
      raw: o.body,
      rawText: JSON.stringify(o.body),
      source: "poll",
      isUpdate: o.updatedAt > o.createdAt,
      active: true,
      inline: false,
    });
    if (outcome.done && outcome.enqueue) toTransfer.push(outcome.enqueue);
  }
  await enqueueTransfers(ctx.env, integration.id, toTransfer);
  if (page.length) {
    const cursor = page[page.length - 1].updatedAt;
    await ctx.db.update(integrations).set({ pollCursor: cursor }).where(eq(integrations.id, integration.id));
    if (page.length === PAGE) await ctx.env.TRANSFERS.send({ type: "poll", integrationId: integration.id } satisfies TransferMessage);
  }
  return DONE;
}

/** Sends transfer messages in batches of 100 (the Queues limit per sendBatch). */
export async function enqueueTransfers(env: Env, integrationId: string, shopOrderIds: string[]) {
  for (let i = 0; i < shopOrderIds.length; i += 100)
    await env.TRANSFERS.sendBatch(
      shopOrderIds.slice(i, i + 100).map((shopOrderId) => ({ body: { type: "transfer", integrationId, shopOrderId } satisfies TransferMessage })),
    );
}
