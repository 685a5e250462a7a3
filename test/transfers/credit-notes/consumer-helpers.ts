/** Deliveries of orders and refunds as the consumer gets them, shared by the credit-note tests of every accounting module. */
import type { TransferMessage } from "../../../src/transfers/messages";
import { delivery } from "../transfer-helpers";

export const orderDelivery = delivery;

/** The same order, changed later (Shopify's orders/updated after a refund). */
export const later = <T extends { updated_at: string }>(order: T, extra: Record<string, unknown>, seconds = 5) => ({
  ...order,
  updated_at: new Date(Date.parse(order.updated_at) + seconds * 1000).toISOString(),
  ...extra,
});

/** A Shopify `refunds/create` delivery. */
export const refundDelivery = (integrationId: string, refund: unknown): TransferMessage =>
  ({ ...delivery(integrationId, refund, { topic: "refunds/create", isUpdate: true }), subject: "refund" }) as TransferMessage;
