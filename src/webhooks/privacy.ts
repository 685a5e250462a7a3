/**
 * A shop app's privacy webhooks (R27; Shopify's compliance webhooks), at the address its descriptor names
 * (`ShopModule.privacy`): the module verifies and reads the request, this file acts on it.
 *
 * Personal data is kept only as long as it serves the books. The accounting documents themselves stay (the
 * books must keep their invoices); what we hold beside them goes:
 * - erase a customer (`customers/redact`): that customer's personal data leaves our stored copies of their
 *   orders (the order as received, the document as sent, messages naming them, stored webhook bodies) and
 *   the customer look-ups remembered for the accounting system (bindings keyed by their e-mail).
 * - erase a shop (`shop/redact`): every stored copy of the shop's orders is deleted (the ledger rows keep
 *   status, numbers and documents, so nothing is transferred twice if the shop comes back).
 * - a data request (`customers/data_request`): recorded for staff (audit log), who answer the merchant.
 * Every request is recorded in the audit log. A repeat is harmless: redacting twice changes nothing more.
 */
import { audit } from "../db/audit";
import { and, eq, inArray, or, sql } from "drizzle-orm";
import type { Context } from "hono";
import { getDb, type Db } from "../db/client";
import { bindings, creditNotes, deliveries, integrations, ledger, ledgerAttempts } from "../db/schema";
import { errorBody } from "../lib/errors";
import { isObj } from "../modules/order-json";
import type { PrivacyHook, PrivacyRequest } from "../modules/types";
import type { AppEnv } from "../http/types";

/** What replaces personal data in a stored copy. */
export const REDACTED_TEXT = "[redacted]";

/** A document as sent without the recipient's personal data (e-conomic `recipient`, the sandbox's `customer`). */
export function redactDocumentCopy(doc: unknown): unknown {
  if (!isObj(doc)) return doc;
  const d = { ...doc };
  if (isObj(d.recipient)) d.recipient = { name: REDACTED_TEXT, ...(isObj(d.recipient.vatZone) ? { vatZone: d.recipient.vatZone } : {}) };
  if (isObj(d.customer) && !("customerNumber" in d.customer)) d.customer = { name: REDACTED_TEXT };
  return d;
}

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

/** A shop module with privacy webhooks: its id and its hook. */
interface PrivacyShop {
  id: string;
  privacy: PrivacyHook;
}

/** The integrations of the shop (by the setting that names it, e.g. Shopify's myshopify domain). */
async function integrationsOf(db: Db, m: PrivacyShop, shop: string) {
  const rows = await db
    .select({ id: integrations.id, tenantId: integrations.tenantId })
    .from(integrations)
    .where(and(eq(integrations.shopModule, m.id), sql`lower(json_extract(${integrations.shopSettings}, ${`$.${m.privacy.shopSetting}`})) = ${shop}`))
    .all();
  return rows;
}

/** Erasing a customer: their orders (named, or found by their id or e-mail) lose their personal data. */
async function redactCustomer(db: Db, m: PrivacyShop, request: Extract<PrivacyRequest, { kind: "erase_customer" }>) {
  const { email, id: customerId } = request.customer;
  const { orderIds } = request;
  const paths = m.privacy.customerPaths;
  let redacted = 0;
  for (const integration of await integrationsOf(db, m, request.shop)) {
    const match = [
      orderIds.length ? inArray(ledger.shopOrderId, orderIds) : undefined,
      customerId ? sql`CAST(json_extract(${ledger.received}, ${paths.id}) AS TEXT) = ${customerId}` : undefined,
      email ? sql`lower(json_extract(${ledger.received}, ${paths.email})) = ${email}` : undefined,
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
            received: JSON.stringify(m.privacy.redactOrder(parse(row.received))),
            sent: row.sent === null ? null : JSON.stringify(redactDocumentCopy(parse(row.sent))),
            errorMessage: scrub(row.errorMessage, email),
          })
          .where(eq(ledger.id, row.id)),
        ...notes.map((n) =>
          db
            .update(creditNotes)
            .set({
              sent: n.sent === null ? null : JSON.stringify(redactDocumentCopy(parse(n.sent))),
              raw: n.raw === null ? null : JSON.stringify(m.privacy.redactRefund(parse(n.raw))),
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
        if (m.privacy.concerns(body, ids, email)) await db.update(deliveries).set({ body: JSON.stringify(m.privacy.redactOrder(body)) }).where(eq(deliveries.id, d.id));
      }
    }
    // The accounting system's customer, remembered by e-mail: forgotten (it is looked up again if needed).
    if (email) await db.delete(bindings).where(and(eq(bindings.integrationId, integration.id), eq(bindings.externalKey, email)));
  }
  return redacted;
}

/** Erasing a shop: every stored copy of its orders is deleted; the ledger keeps what exactly-once needs. */
async function redactShop(db: Db, m: PrivacyShop, shop: string) {
  let integrationsRedacted = 0;
  for (const integration of await integrationsOf(db, m, shop)) {
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

/** The route's handler: the module verifies and reads the request; it is acted on, recorded, answered 200. */
export function privacyHandler(m: PrivacyShop) {
  return async (c: Context<AppEnv>) => {
    const bytes = await c.req.arrayBuffer();
    const refused = await m.privacy.verify(c.req, bytes, c.env);
    if (refused) return c.json(errorBody("unauthorized", refused), 401);
    const request = m.privacy.read(c.req, new TextDecoder().decode(bytes));
    if (!request) return c.json({ ok: true, ignored: "topic" }, 200);
    if ("invalid" in request) return c.json(errorBody("invalid_request", request.invalid), 400);

    const db = getDb(c.env);
    const result =
      request.kind === "erase_customer"
        ? { ordersRedacted: await redactCustomer(db, m, request) }
        : request.kind === "erase_shop"
          ? { integrationsRedacted: await redactShop(db, m, request.shop) }
          : { recorded: true };
    const tenants = [...new Set((await integrationsOf(db, m, request.shop)).map((i) => i.tenantId))];
    // Recorded for staff: a data request is answered by them; redactions are kept as evidence (without the data).
    await audit(db, {
      actor: m.id,
      action: request.action,
      target: { type: "shop", id: request.shop, tenantId: tenants.length === 1 ? tenants[0] : null },
      details: { ...request.details, ...result },
    });
    return c.json({ ok: true, ...result }, 200);
  };
}
