/**
 * The queue's dispatcher: it sits above the features (transfers, imports, reconciliation, credit notes)
 * and hands each message to its feature, so the features never import one another through it.
 */
import { eq } from "drizzle-orm";
import { deliveries, imports } from "./db/schema";
import { TransferError } from "./domain/errors";
import { handleImportPage, importAllowsTransfer, maybeComplete, stopReading } from "./imports/service";
import { loadIntegration } from "./integrations/store";
import { pollIntegration } from "./transfers/poll";
import { reconcileIntegration } from "./transfers/reconcile";
import { checkConnectedWebhooks } from "./connect/webhook-check";
import { claimDelivery } from "./transfers/deliveries";
import { deadCreditNote, handleCreditNoteMessage, intakeRefundDelivery } from "./transfers/credit-notes";
import { getLedgerRow, markFailed } from "./transfers/ledger-store";
import { prefetchBatch } from "./transfers/prefetch";
import type { TransferMessage } from "./transfers/messages";
import { DONE, intakeOrder, TransferContext, transferRow, type Outcome } from "./transfers/transfer";

/** How many messages of a batch are handled at once (each is independent; one bad order never holds back the rest). */
const CONCURRENCY = 6;

export async function handleTransferBatch(batch: MessageBatch<TransferMessage>, env: Env, ctx = new TransferContext(env)) {
  const queue = [...batch.messages];
  await prefetchBatch(ctx, queue.map((m) => m.body));
  const worker = async () => {
    for (let msg = queue.shift(); msg; msg = queue.shift()) {
      try {
        const outcome = await handleMessage(ctx, msg.body, msg.attempts);
        if (outcome.done) msg.ack();
        else msg.retry({ delaySeconds: outcome.delaySeconds });
      } catch (e) {
        // Infrastructure failure (D1, the Durable Object): nothing was recorded as done, so try again.
        console.error("transfer message failed", msg.id, e instanceof Error ? e.message : String(e));
        msg.retry({ delaySeconds: Math.min(300, 2 ** msg.attempts) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
}

export async function handleMessage(ctx: TransferContext, body: TransferMessage, attempts: number): Promise<Outcome> {
  if (body.type === "import_page") {
    await handleImportPage(ctx, body);
    return DONE;
  }
  // Orders of one batch share their integration's row; polls and sweeps read it fresh (their cursor).
  const integration = body.type === "delivery" || body.type === "transfer" || body.type === "credit_note" ? await ctx.integration(body.integrationId) : await loadIntegration(ctx.env, body.integrationId);
  if (!integration) return DONE; // deleted: nothing to do
  switch (body.type) {
    case "delivery": {
      let text = body.body;
      if (text === undefined) {
        const d = await ctx.db.select().from(deliveries).where(eq(deliveries.id, body.deliveryId)).get();
        if (!d?.body) return DONE;
        text = d.body;
      } else {
        const own = await claimDelivery(ctx.db, {
          id: body.deliveryId,
          integrationId: integration.id,
          dedupeKey: body.dedupeKey,
          topic: body.topic,
          status: "accepted",
          body: null,
          receivedAt: body.receivedAt,
        });
        if (!own) return DONE; // the same event delivered again by the shop
      }
      if (body.subject === "refund") return intakeRefundDelivery(ctx, integration, JSON.parse(text), text);
      return intakeOrder(ctx, integration, { raw: JSON.parse(text), rawText: text, source: "webhook", isUpdate: body.isUpdate, active: body.active, receivedAt: body.receivedAt }, attempts);
    }
    case "transfer": {
      const row = await getLedgerRow(ctx.db, integration.id, body.shopOrderId);
      if (!row || row.status !== "pending") return DONE;
      if (row.importId && !(await importAllowsTransfer(ctx.db, row.importId))) return DONE; // resume enqueues it again
      const outcome = await transferRow(ctx, integration, row, attempts);
      if (outcome.done && row.importId) await maybeComplete(ctx.env, row.importId);
      return outcome;
    }
    case "credit_note":
      return handleCreditNoteMessage(ctx, integration, body, attempts);
    case "poll":
      return pollIntegration(ctx, integration);
    case "reconcile":
      // The first page of a sweep also runs the webhook check of a shop connected by its module's flow.
      if (!body.cursor && !body.bulk) await checkConnectedWebhooks(ctx, integration, ctx.now());
      return reconcileIntegration(ctx, integration, body);
  }
}

/**
 * The dead-letter queue: a message whose retries ran out. Its order must not stay `pending` for ever:
 * it shows `failed` with `accounting_unavailable` (a later update, transfer again or the relay retries it).
 */
export async function handleDeadLetters(batch: MessageBatch<TransferMessage>, env: Env) {
  const ctx = new TransferContext(env);
  for (const msg of batch.messages) {
    const body = msg.body;
    if (body.type === "transfer") {
      const row = await getLedgerRow(ctx.db, body.integrationId, body.shopOrderId);
      if (row?.status === "pending")
        await markFailed(ctx.db, row, new TransferError("accounting_unavailable", "The accounting system did not answer after repeated retries"), new Date().toISOString());
    }
    // An import's page that kept failing: the import must not look busy for ever.
    if (body.type === "import_page") {
      const row = await ctx.db.select().from(imports).where(eq(imports.id, body.importId)).get();
      if (row)
        await stopReading(env, row, body, body.phase === "run"
          ? "Reading the shop's orders failed repeatedly. Resume the import to go on where it stopped; no order is taken twice."
          : "Reading the shop's orders failed repeatedly. Start the preflight again.");
    }
    if (body.type === "credit_note") await deadCreditNote(ctx, body);
    console.warn("dead letter", JSON.stringify(body).slice(0, 200));
    msg.ack();
  }
}
