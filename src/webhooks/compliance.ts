/**
 * Shopify's mandatory compliance webhooks (R27), one address for the app: `POST /webhooks/shopify/compliance`,
 * topic in `X-Shopify-Topic`, signed (base64 HMAC-SHA256 of the raw body) with the app's `SHOPIFY_API_SECRET`.
 *
 * Personal data is kept only as long as it serves the books. The accounting documents themselves stay (the
 * books must keep their invoices); what we hold beside them goes:
 * - `customers/redact`: that customer's personal data leaves our stored copies of their orders (the order as
 *   received, the document as sent, messages naming them, stored webhook bodies) and the customer look-ups
 *   remembered for the accounting system (bindings keyed by their e-mail).
 * - `shop/redact`: every stored copy of the shop's orders is deleted (the ledger rows keep status, numbers
 *   and documents, so nothing is transferred twice if the shop comes back).
 * - `customers/data_request`: recorded for staff (audit log), who answer the merchant.
 * Every request is recorded in the audit log. A repeat is harmless: redacting twice changes nothing more.
 */
import { audit } from "../db/audit";
import { and, eq, inArray, or, sql } from "drizzle-orm";
import type { Context } from "hono";
import { getDb, type Db } from "../db/client";
import { bindings, creditNotes, deliveries, integrations, ledger, ledgerAttempts } from "../db/schema";
import { verifyHmacBase64 } from "../lib/crypto";
import { errorBody } from "../lib/errors";
import type { AppEnv } from "../http/types";

const TOPICS = ["customers/data_request", "customers/redact", "shop/redact"] as const;
type Topic = (typeof TOPICS)[number];

/** What replaces personal data in a stored copy. */
export const REDACTED_TEXT = "[redacted]";

/** The top-level fields of a Shopify order (REST shape) that hold personal data. */
const ORDER_PERSONAL = ["email", "contact_email", "phone", "billing_address", "shipping_address", "customer", "note", "note_attributes", "browser_ip", "client_details", "customer_locale"];

/** A Shopify order copy without the buyer's personal data (amounts, lines, ids and dates stay). */
export function redactOrderCopy(order: unknown): unknown {
  if (!order || typeof order !== "object" || Array.isArray(order)) return order;
  const o = { ...(order as Record<string, unknown>) };
  for (const k of ORDER_PERSONAL) if (k in o) o[k] = k === "customer" && isObj(o.customer) ? { id: o.customer.id, redacted: true } : null;
  o.redacted = true;
  return o;
}

/** A document as sent without the recipient's personal data (e-conomic `recipient`, the sandbox's `customer`). */
export function redactDocumentCopy(doc: unknown): unknown {
  if (!isObj(doc)) return doc;
  const d = { ...doc };
  if (isObj(d.recipient)) d.recipient = { name: REDACTED_TEXT, ...(isObj(d.recipient.vatZone) ? { vatZone: d.recipient.vatZone } : {}) };
  if (isObj(d.customer) && !("customerNumber" in d.customer)) d.customer = { name: REDACTED_TEXT };
  return d;
}

/** A Shopify refund copy (refunds/create) without personal data: its note and the payment details of its transactions (amounts, lines and ids stay). */
export function redactRefundCopy(refund: unknown): unknown {
  if (!isObj(refund)) return refund;
  const r: Record<string, unknown> = { ...refund, redacted: true };
  if ("note" in r) r.note = null;
  if (Array.isArray(r.transactions))
    r.transactions = r.transactions.map((t) => (isObj(t) ? Object.fromEntries(Object.entries(t).filter(([k]) => !REFUND_TRANSACTION_PERSONAL.includes(k))) : t));
  return r;
}
const REFUND_TRANSACTION_PERSONAL = ["receipt", "payment_details", "authorization"];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function parse(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const scrub = (text: string | null, email: string | null) =>
  text && email ? text.replace(new RegExp(email.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gi"), REDACTED_TEXT) : text;

/** The integrations of a Shopify shop (by its myshopify domain). */
async function integrationsOf(db: Db, shopDomain: string) {
  const rows = await db
    .select({ id: integrations.id, tenantId: integrations.tenantId })
    .from(integrations)
    .where(and(eq(integrations.shopModule, "shopify"), sql`lower(json_extract(${integrations.shopSettings}, '$.shopDomain')) = ${shopDomain.toLowerCase()}`))
    .all();
  return rows;
}

/** customers/redact: the customer's orders (named, or found by their id or e-mail) lose their personal data. */
export async function redactCustomer(db: Db, shopDomain: string, payload: Record<string, unknown>) {
  const customer = isObj(payload.customer) ? payload.customer : {};
  const email = typeof customer.email === "string" && customer.email.trim() ? customer.email.trim().toLowerCase() : null;
  const customerId = customer.id === undefined || customer.id === null ? null : String(customer.id);
  const orderIds = (Array.isArray(payload.orders_to_redact) ? payload.orders_to_redact : []).map(String);
  let redacted = 0;
  for (const integration of await integrationsOf(db, shopDomain)) {
    const match = [
      orderIds.length ? inArray(ledger.shopOrderId, orderIds) : undefined,
      customerId ? sql`CAST(json_extract(${ledger.received}, '$.customer.id') AS TEXT) = ${customerId}` : undefined,
      email ? sql`lower(json_extract(${ledger.received}, '$.email')) = ${email}` : undefined,
    ].filter((c) => c !== undefined);
    if (!match.length) continue;
    const rows = await db.select().from(ledger).where(and(eq(ledger.integrationId, integration.id), or(...match))).all();
    for (const row of rows) {
      const attempts = await db.select().from(ledgerAttempts).where(eq(ledgerAttempts.ledgerId, row.id)).all();
      // The credit notes of the order hold copies too: the document as sent (the invoice's customer) and the refund as delivered.
      const notes = await db.select().from(creditNotes).where(and(eq(creditNotes.integrationId, integration.id), eq(creditNotes.shopOrderId, row.shopOrderId))).all();
      await db.batch([
        db
          .update(ledger)
          .set({
            received: JSON.stringify(redactOrderCopy(parse(row.received))),
            sent: row.sent === null ? null : JSON.stringify(redactDocumentCopy(parse(row.sent))),
            errorMessage: scrub(row.errorMessage, email),
          })
          .where(eq(ledger.id, row.id)),
        ...notes.map((n) =>
          db
            .update(creditNotes)
            .set({
              sent: n.sent === null ? null : JSON.stringify(redactDocumentCopy(parse(n.sent))),
              raw: n.raw === null ? null : JSON.stringify(redactRefundCopy(parse(n.raw))),
              errorMessage: scrub(n.errorMessage, email),
            })
            .where(eq(creditNotes.id, n.id)),
        ),
        ...attempts.filter((a) => a.message && email && a.message.toLowerCase().includes(email)).map((a) => db.update(ledgerAttempts).set({ message: scrub(a.message, email) }).where(eq(ledgerAttempts.id, a.id))),
      ] as unknown as Parameters<typeof db.batch>[0]);
      redacted++;
    }
    // Stored webhook bodies of those orders (large deliveries) go the same way.
    const ids = rows.map((r) => r.shopOrderId);
    if (ids.length || email) {
      const stored = await db.select().from(deliveries).where(eq(deliveries.integrationId, integration.id)).all();
      for (const d of stored) {
        const body = parse(d.body);
        if (!isObj(body)) continue;
        const mine = ids.includes(String(body.id)) || (body.order_id !== undefined && ids.includes(String(body.order_id))) || (email !== null && String(body.email ?? "").toLowerCase() === email);
        if (mine) await db.update(deliveries).set({ body: JSON.stringify(redactOrderCopy(body)) }).where(eq(deliveries.id, d.id));
      }
    }
    // The accounting system's customer, remembered by e-mail: forgotten (it is looked up again if needed).
    if (email) await db.delete(bindings).where(and(eq(bindings.integrationId, integration.id), eq(bindings.externalKey, email)));
  }
  return redacted;
}

/** shop/redact: every stored copy of the shop's orders is deleted; the ledger keeps what exactly-once needs. */
export async function redactShop(db: Db, shopDomain: string) {
  let integrationsRedacted = 0;
  for (const integration of await integrationsOf(db, shopDomain)) {
    await db.batch([
      db.update(ledger).set({ received: null, sent: null }).where(eq(ledger.integrationId, integration.id)),
      db.update(deliveries).set({ body: null }).where(eq(deliveries.integrationId, integration.id)),
      // Credit notes keep their canonical refund (amounts and lines, no personal data) and their document.
      db.update(creditNotes).set({ sent: null, raw: null }).where(eq(creditNotes.integrationId, integration.id)),
      db.delete(bindings).where(eq(bindings.integrationId, integration.id)),
    ]);
    integrationsRedacted++;
  }
  return integrationsRedacted;
}

/** The route's handler: verify with the app secret, act on the topic, record it, answer 200. */
export async function handleCompliance(c: Context<AppEnv>) {
  const secret = (c.env as Env & { SHOPIFY_API_SECRET?: string }).SHOPIFY_API_SECRET;
  const bytes = await c.req.arrayBuffer();
  if (!secret) return c.json(errorBody("unauthorized", "The Shopify app secret (SHOPIFY_API_SECRET) is not configured, so the request cannot be verified"), 401);
  if (!(await verifyHmacBase64(bytes, c.req.header("x-shopify-hmac-sha256"), [secret]))) return c.json(errorBody("unauthorized", "Bad or missing signature"), 401);
  const topic = c.req.header("x-shopify-topic") as Topic;
  if (!TOPICS.includes(topic)) return c.json({ ok: true, ignored: "topic" }, 200);
  let payload: Record<string, unknown>;
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes));
    if (!isObj(v)) throw new Error("not an object");
    payload = v;
  } catch {
    return c.json(errorBody("invalid_request", "The body is not a JSON object"), 400);
  }
  const shopDomain = typeof payload.shop_domain === "string" ? payload.shop_domain : (c.req.header("x-shopify-shop-domain") ?? "");
  if (!/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/i.test(shopDomain)) return c.json(errorBody("invalid_request", "shop_domain must be a *.myshopify.com domain"), 400);

  const db = getDb(c.env);
  const result =
    topic === "customers/redact"
      ? { ordersRedacted: await redactCustomer(db, shopDomain, payload) }
      : topic === "shop/redact"
        ? { integrationsRedacted: await redactShop(db, shopDomain) }
        : { recorded: true };
  const tenants = [...new Set((await integrationsOf(db, shopDomain)).map((i) => i.tenantId))];
  // Recorded for staff: a data request is answered by them; redactions are kept as evidence (without the data).
  await audit(db, {
    actor: "shopify",
    action: `compliance.${topic.replace("/", ".")}`,
    target: { type: "shop", id: shopDomain.toLowerCase(), tenantId: tenants.length === 1 ? tenants[0] : null },
    details: {
      shopId: payload.shop_id ?? null,
      ...(topic === "customers/data_request" ? { customerId: isObj(payload.customer) ? (payload.customer.id ?? null) : null, ordersRequested: payload.orders_requested ?? [], dataRequestId: isObj(payload.data_request) ? payload.data_request.id : null } : {}),
      ...(topic === "customers/redact" ? { customerId: isObj(payload.customer) ? (payload.customer.id ?? null) : null, ordersToRedact: payload.orders_to_redact ?? [] } : {}),
      ...result,
    },
  });
  return c.json({ ok: true, ...result }, 200);
}
