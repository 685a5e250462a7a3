/**
 * Shopify's mandatory compliance webhooks (R27), one address for the app: `POST /webhooks/shopify/compliance`,
 * topic in `X-Shopify-Topic`, signed (base64 HMAC-SHA256 of the raw body) with the app's `SHOPIFY_API_SECRET`.
 * Read here into neutral requests; the core erases and records them (src/webhooks/privacy.ts).
 */
import { verifyHmacBase64 } from "../../lib/crypto";
import { isObj } from "../order-json";
import type { PrivacyHook, PrivacyRequest } from "../types";
import { shopifyWebhook } from "./webhook";

const TOPICS = ["customers/data_request", "customers/redact", "shop/redact"] as const;
type Topic = (typeof TOPICS)[number];

const KINDS: Record<Topic, PrivacyRequest["kind"]> = { "customers/data_request": "report", "customers/redact": "erase_customer", "shop/redact": "erase_shop" };

/** The top-level fields of a Shopify order (REST shape) that hold personal data. */
const ORDER_PERSONAL = ["email", "contact_email", "phone", "billing_address", "shipping_address", "customer", "note", "note_attributes", "browser_ip", "client_details", "customer_locale"];

/** A Shopify order copy without the buyer's personal data (amounts, lines, ids and dates stay). */
function redactOrderCopy(order: unknown): unknown {
  if (!order || typeof order !== "object" || Array.isArray(order)) return order;
  const o = { ...(order as Record<string, unknown>) };
  for (const k of ORDER_PERSONAL) if (k in o) o[k] = k === "customer" && isObj(o.customer) ? { id: o.customer.id, redacted: true } : null;
  o.redacted = true;
  return o;
}

/** A Shopify refund copy (refunds/create) without personal data: its note and the payment details of its transactions (amounts, lines and ids stay). */
function redactRefundCopy(refund: unknown): unknown {
  if (!isObj(refund)) return refund;
  const r: Record<string, unknown> = { ...refund, redacted: true };
  if ("note" in r) r.note = null;
  if (Array.isArray(r.transactions))
    r.transactions = r.transactions.map((t) => (isObj(t) ? Object.fromEntries(Object.entries(t).filter(([k]) => !REFUND_TRANSACTION_PERSONAL.includes(k))) : t));
  return r;
}
const REFUND_TRANSACTION_PERSONAL = ["receipt", "payment_details", "authorization"];

const customerIdOf = (payload: Record<string, unknown>) => (isObj(payload.customer) ? (payload.customer.id ?? null) : null);

function requestOf(topic: Topic, payload: Record<string, unknown>, shop: string): PrivacyRequest {
  const action = `compliance.${topic.replace("/", ".")}`;
  const shopId = payload.shop_id ?? null;
  const kind = KINDS[topic];
  if (kind === "report")
    return { kind, shop, action, details: { shopId, customerId: customerIdOf(payload), ordersRequested: payload.orders_requested ?? [], dataRequestId: isObj(payload.data_request) ? payload.data_request.id : null } };
  if (kind === "erase_shop") return { kind, shop, action, details: { shopId } };
  const customer = isObj(payload.customer) ? payload.customer : {};
  return {
    kind,
    shop,
    action,
    details: { shopId, customerId: customerIdOf(payload), ordersToRedact: payload.orders_to_redact ?? [] },
    customer: {
      id: customer.id === undefined || customer.id === null ? null : String(customer.id),
      email: typeof customer.email === "string" && customer.email.trim() ? customer.email.trim().toLowerCase() : null,
    },
    orderIds: (Array.isArray(payload.orders_to_redact) ? payload.orders_to_redact : []).map(String),
  };
}

export const shopifyPrivacy: PrivacyHook = {
  path: "/shopify/compliance",
  async verify(req, body, env) {
    const secret = shopifyWebhook.appSecret?.(env);
    if (!secret) return "The Shopify app secret (SHOPIFY_API_SECRET) is not configured, so the request cannot be verified";
    if (!(await verifyHmacBase64(body, req.header("x-shopify-hmac-sha256"), [secret]))) return "Bad or missing signature";
    return undefined;
  },
  read(req, text) {
    const topic = req.header("x-shopify-topic") as Topic;
    if (!TOPICS.includes(topic)) return null;
    let payload: Record<string, unknown>;
    try {
      const v = JSON.parse(text);
      if (!isObj(v)) throw new Error("not an object");
      payload = v;
    } catch {
      return { invalid: "The body is not a JSON object" };
    }
    const shopDomain = typeof payload.shop_domain === "string" ? payload.shop_domain : (req.header("x-shopify-shop-domain") ?? "");
    if (!/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/i.test(shopDomain)) return { invalid: "shop_domain must be a *.myshopify.com domain" };
    return requestOf(topic, payload, shopDomain.toLowerCase());
  },
  shopSetting: "shopDomain",
  customerPaths: { id: "$.customer.id", email: "$.email" },
  // An order's body names it by `id`, a refund's by `order_id`; the buyer by `email`.
  concerns: (body, orderIds, email) =>
    orderIds.includes(String(body.id)) || (body.order_id !== undefined && orderIds.includes(String(body.order_id))) || (email !== null && String(body.email ?? "").toLowerCase() === email),
  redactOrder: redactOrderCopy,
  redactRefund: redactRefundCopy,
};
