import { Hono, type Context } from "hono";
import { eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { deliveries } from "../db/schema";
import { sha256Hex, verifyHmacBase64 } from "../lib/crypto";
import { shopModules } from "../modules";
import type { WebhookTopic } from "../modules/types";
import { errorBody } from "../lib/errors";
import { newId } from "../lib/ids";
import { sideSettings, loadIntegration, type Integration } from "../integrations/store";
import { claimDelivery } from "../transfers/deliveries";
import { shopRefused } from "../transfers/shop-credentials";
import { INLINE_BODY_LIMIT, type TransferMessage, enqueue } from "../transfers/messages";
import type { AppEnv } from "../http/types";
import { privacyHandler } from "./privacy";

const MAX_BODY = 5 * 1024 * 1024;

/** Webhooks: verify, persist durably, enqueue, answer. The transfer happens in the queue consumer. */
export function webhookRoutes() {
  const app = new Hono<AppEnv>();
  // A shop app's privacy webhooks (R27, Shopify's compliance webhooks): one address for the app, before the per-integration route.
  for (const m of Object.values(shopModules)) if (m.privacy) app.post(m.privacy.path, privacyHandler({ id: m.id, privacy: m.privacy }));
  app.post("/:module/:integrationId", async (c) => {
    const shop = shopModules[c.req.param("module")]?.webhook;
    if (!shop) return c.json(errorBody("not_found", "No such webhook"), 404);
    const declared = Number(c.req.header("content-length") ?? 0);
    if (declared > MAX_BODY) return c.json(errorBody("payload_too_large", "The body is larger than 5 MiB"), 413);
    const integration = await loadIntegration(c.env, c.req.param("integrationId"));
    if (!integration || integration.shopModule !== c.req.param("module")) return c.json(errorBody("not_found", "Unknown integration"), 404);
    const bytes = await c.req.arrayBuffer();
    if (bytes.byteLength > MAX_BODY) return c.json(errorBody("payload_too_large", "The body is larger than 5 MiB"), 413);
    const text = new TextDecoder().decode(bytes);
    if (shop.isPing?.(c.req, text)) return c.json({ ok: true, ping: true }, 200);

    const settings = await sideSettings(c.env, integration, "shop");
    const viaApp = integration.shopConnection?.via === "oauth" ? shop.appSecret?.(c.env) : undefined;
    const secrets = [settings.webhookSecret, settings.previousWebhookSecret, viaApp].filter((s): s is string => typeof s === "string");
    if (!(await verifyHmacBase64(bytes, shop.signature(c.req), secrets))) return c.json(errorBody("unauthorized", "Bad or missing signature"), 401);
    if (shop.checkOrigin && !shop.checkOrigin(c.req, settings)) return c.json(errorBody("unauthorized", "The shop domain does not match this integration"), 401);

    if (shop.disconnected?.(c.req)) {
      await shopRefused(c.env, integration);
      return c.json({ ok: true, disconnected: true }, 200);
    }
    const topic = shop.topic(c.req);
    if (!topic) return c.json({ ok: true, ignored: "topic" }, 200);

    let order: Record<string, unknown>;
    try {
      order = JSON.parse(text);
      if (!order || typeof order !== "object" || Array.isArray(order)) throw new Error("not an object");
    } catch {
      // Kept for inspection (once per distinct body).
      await claimDelivery(getDb(c.env), {
        id: newId("dlv"),
        integrationId: integration.id,
        dedupeKey: `unreadable:${await sha256Hex(text)}`,
        topic: topic.name,
        status: "unreadable",
        body: text,
        receivedAt: new Date().toISOString(),
      });
      return c.json(errorBody("invalid_request", topic.subject === "refund" ? "The body is not a JSON refund" : "The body is not a JSON order"), 400);
    }
    return accept(c, integration, await shop.dedupeKey(c.req, order, text), topic, text);
  });
  return app;
}

/**
 * Persist durably, enqueue, answer. A small body travels in the queue message (durable once sent) and the
 * duplicate check happens in the consumer, off the shop's clock; a body too big for a message is stored
 * in D1 first, under its dedupe key, and the message carries the reference.
 */
async function accept(c: Context<AppEnv>, integration: Integration, dedupeKey: string, topic: WebhookTopic, text: string) {
  const large = text.length > INLINE_BODY_LIMIT;
  const deliveryId = newId("dlv");
  const receivedAt = new Date().toISOString();
  const db = getDb(c.env);
  if (large && !(await claimDelivery(db, { id: deliveryId, integrationId: integration.id, dedupeKey, topic: topic.name, status: "accepted", body: text, receivedAt })))
    return c.json({ ok: true, duplicate: true }, 200);
  const message: TransferMessage = {
    type: "delivery",
    integrationId: integration.id,
    deliveryId,
    dedupeKey,
    topic: topic.name,
    isUpdate: topic.isUpdate,
    active: integration.status === "active",
    receivedAt,
    ...(large ? {} : { body: text }),
    ...(topic.subject === "refund" ? { subject: "refund" as const } : {}),
  };
  try {
    await enqueue(c.env, message);
  } catch (e) {
    // Not enqueued: forget the stored body so the shop's retry is not taken for a duplicate.
    if (large) await db.delete(deliveries).where(eq(deliveries.id, deliveryId));
    console.error("enqueue failed", integration.id, e instanceof Error ? e.message : String(e));
    return c.json(errorBody("unavailable", "Could not accept the delivery right now; please retry"), 503);
  }
  return c.json({ ok: true }, 200);
}
