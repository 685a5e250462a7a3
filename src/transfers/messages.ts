/** Messages on the `transfers` queue. Each is idempotent: handling one twice changes nothing more. */
export type TransferMessage =
  /** A webhook delivery (the body inline, or in D1 `deliveries.body` when too big for a message). */
  | {
      type: "delivery";
      integrationId: string;
      deliveryId: string;
      /** The shop's stable identity of the event (Shopify event id; WooCommerce order id + modification time). */
      dedupeKey: string;
      topic: string;
      isUpdate: boolean;
      /** Whether the integration was active when the delivery arrived (R4). */
      active: boolean;
      receivedAt: string;
      body?: string;
      /** What the body is: an order (default) or a refund delivered on its own (Shopify refunds/create). */
      subject?: "order" | "refund";
    }
  /** Transfer (or continue transferring) one ledger row: transfer again, the outbox relay, imports. */
  | { type: "transfer"; integrationId: string; shopOrderId: string }
  /** Transfer (or continue transferring) one refund's credit note (R20–R22). */
  | { type: "credit_note"; integrationId: string; shopOrderId: string; refundId: string }
  /** One page of an import's preflight or run; `seq` makes a repeated message a no-op. */
  | { type: "import_page"; importId: string; phase: "preflight" | "run"; seq: number }
  /** Poll one integration's shop for changed orders (cron fan-out, sandbox demo orders). */
  | { type: "poll"; integrationId: string }
  /** One page of a webhook shop's reconciliation sweep (orders changed since `from`); the next page carries the shop's cursor. */
  | { type: "reconcile"; integrationId: string; from?: string; cursor?: string | null; pages?: number; bulk?: boolean };

/** Queue messages are limited to 128 KB; bodies above this stay in D1 and the message carries a reference. */
export const INLINE_BODY_LIMIT = 100 * 1024;

/** The one way onto the transfers queue: a typed message, after `delaySeconds` when given. */
export function enqueue(env: Pick<Env, "TRANSFERS">, message: TransferMessage, delaySeconds?: number) {
  return env.TRANSFERS.send(message, { contentType: "json", ...(delaySeconds ? { delaySeconds } : {}) });
}

/** Many messages, in batches of 100 (the Queues limit per sendBatch). */
export async function enqueueMany(env: Pick<Env, "TRANSFERS">, messages: TransferMessage[]) {
  for (let i = 0; i < messages.length; i += 100) await env.TRANSFERS.sendBatch(messages.slice(i, i + 100).map((body) => ({ body, contentType: "json" as const })));
}
