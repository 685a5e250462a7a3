/** WooCommerce webhooks: the HMAC header, the unsigned creation ping, the order topics, and the order's version for duplicates. */
import type { WebhookVerifier } from "../types";

export const woocommerceWebhook: WebhookVerifier = {
  signature: (req) => req.header("x-wc-webhook-signature"),
  isPing: (req, text) => !req.header("x-wc-webhook-signature") && /^webhook_id=\d+$/.test(text.trim()),
  topic: (req) => {
    const t = req.header("x-wc-webhook-topic") ?? "";
    return ["order.created", "order.updated"].includes(t) ? { name: t, isUpdate: t === "order.updated" } : null;
  },
  // The delivery id is a hash of webhook id and second: not stable. The order's own version is.
  dedupeKey: async (_req, o) => `order:${String(o.id)}:${String(o.date_modified_gmt ?? "")}`,
};
