/** Shopify webhooks: the HMAC header, the shop domain, the topics we take (api.md) and the event id for duplicates. */
import { sha256Hex } from "../../lib/crypto";
import type { WebhookVerifier } from "../types";

/** Shopify's order topics (a cancellation is an update of the order, R21) and the refund topic (R20). */
const ORDER_TOPICS = ["orders/create", "orders/updated", "orders/paid", "orders/cancelled"];

export const shopifyWebhook: WebhookVerifier = {
  signature: (req) => req.header("x-shopify-hmac-sha256"),
  checkOrigin: (req, s) => (req.header("x-shopify-shop-domain") ?? "").toLowerCase() === String(s.shopDomain ?? "").toLowerCase(),
  topic: (req) => {
    const t = req.header("x-shopify-topic") ?? "";
    if (t === "refunds/create") return { name: t, isUpdate: true, subject: "refund" };
    return ORDER_TOPICS.includes(t) ? { name: t, isUpdate: t !== "orders/create" } : null;
  },
  dedupeKey: async (req, _o, text) => {
    const id = req.header("x-shopify-event-id") ?? req.header("x-shopify-webhook-id");
    return id ? `event:${id}` : `body:${await sha256Hex(text)}`;
  },
  disconnected: (req) => req.header("x-shopify-topic") === "app/uninstalled",
  appSecret: (env) => (env as Env & { SHOPIFY_API_SECRET?: string }).SHOPIFY_API_SECRET,
};
