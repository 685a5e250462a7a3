/**
 * WooCommerce keys by consent (R26): the merchant approves orderbridge at the shop's
 * `/wc-auth/v1/authorize`; WooCommerce then POSTs the new REST keys to our callback, server to server
 * (woocommerce.github.io/woocommerce-rest-api-docs "Authentication endpoint"), with `user_id` = our one-time
 * state. The two order webhooks are then created through the REST API with a fresh secret, and a daily
 * check re-enables or re-creates one that WooCommerce paused or disabled (after 5 failed deliveries).
 */
import { audit } from "../db/audit";
import { TransferError } from "../domain/errors";
import { randomToken } from "../lib/crypto";
import type { FetchFn } from "../lib/outbound";
import { shopFetchJson } from "../modules/http/shop-fetch";
import { setConnection, sideSettings, type Integration } from "../integrations/store";
import { setHealth, unhealthy } from "../transfers/poll";
import type { TransferContext } from "../transfers/transfer";

export const WOO_TOPICS = ["order.created", "order.updated"] as const;

const api = (siteUrl: string, path: string) => `${siteUrl.replace(/\/+$/, "")}/wp-json/wc/v3${path}`;
const basic = (key: string, secret: string) => `Basic ${btoa(`${key}:${secret}`)}`;

export interface WooKeys {
  consumerKey: string;
  consumerSecret: string;
}

interface WooWebhook {
  id: number;
  topic: string;
  delivery_url: string;
  status: "active" | "paused" | "disabled" | string;
}

/** The keys WooCommerce posted to the callback, checked for shape (a `read_write` key pair). */
export function consentKeys(body: unknown): (WooKeys & { state: string }) | null {
  if (!body || typeof body !== "object") return null;
  const b = body as Record<string, unknown>;
  const ok = (v: unknown, prefix: string) => typeof v === "string" && v.startsWith(prefix) && v.length >= 10 && v.length <= 200;
  if (!ok(b.consumer_key, "ck_") || !ok(b.consumer_secret, "cs_") || typeof b.user_id !== "string" || b.key_permissions !== "read_write") return null;
  return { consumerKey: b.consumer_key as string, consumerSecret: b.consumer_secret as string, state: b.user_id };
}

/**
 * Makes the integration's two webhooks exist and be active: missing ones are created with `secret`, a
 * paused or disabled one is re-enabled. Returns what it did, for the log.
 */
export async function ensureWooWebhooks(fetch: FetchFn, env: Env, siteUrl: string, keys: WooKeys, deliveryUrl: string, secret: string) {
  const auth = { authorization: basic(keys.consumerKey, keys.consumerSecret), accept: "application/json" };
  const { json } = await shopFetchJson(fetch, env, `${api(siteUrl, "/webhooks")}?per_page=100`, { headers: auth });
  if (!Array.isArray(json)) throw new TransferError("shop_unavailable", "WooCommerce answered without a webhook list");
  const mine = (json as WooWebhook[]).filter((w) => w.delivery_url === deliveryUrl);
  const done: { topic: string; action: "created" | "reactivated" | "ok" }[] = [];
  for (const topic of WOO_TOPICS) {
    const hook = mine.find((w) => w.topic === topic);
    if (!hook) {
      await shopFetchJson(fetch, env, api(siteUrl, "/webhooks"), {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ name: `orderbridge ${topic}`, topic, delivery_url: deliveryUrl, secret, status: "active" }),
      });
      done.push({ topic, action: "created" });
    } else if (hook.status !== "active") {
      await shopFetchJson(fetch, env, api(siteUrl, `/webhooks/${hook.id}`), {
        method: "PUT",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ status: "active" }),
      });
      done.push({ topic, action: "reactivated" });
    } else done.push({ topic, action: "ok" });
  }
  return done;
}

/** A fresh webhook secret for a consented shop. */
export const newWebhookSecret = () => randomToken(32);

/** How often the webhooks of a connected WooCommerce shop are checked. */
const WEBHOOK_CHECK_HOURS = 24;

/**
 * WooCommerce pauses or disables a webhook after 5 failed deliveries, and orders then silently stop
 * (frappe/ecommerce_integrations #258). For a shop connected by consent (we created its webhooks), the
 * daily check lists them and re-enables or re-creates what is missing, and writes it in the log.
 */
export async function checkWooWebhooksDaily(ctx: TransferContext, integration: Integration, now: Date) {
  const conn = integration.shopConnection;
  if (integration.status !== "active" || integration.shopModule !== "woocommerce" || conn?.via !== "oauth" || conn.status !== "connected") return;
  if (now.getTime() - new Date(conn.checkedAt).getTime() < WEBHOOK_CHECK_HOURS * 3600_000) return;
  const s = await sideSettings(ctx.env, integration, "shop");
  const base = (ctx.env.PUBLIC_URL ?? "").replace(/\/+$/, "");
  try {
    const done = await ensureWooWebhooks(ctx.fetch, ctx.env, String(s.siteUrl), { consumerKey: String(s.consumerKey), consumerSecret: String(s.consumerSecret) }, `${base}/webhooks/woocommerce/${integration.id}`, String(s.webhookSecret));
    const repaired = done.filter((d) => d.action !== "ok");
    if (repaired.length)
      await audit(ctx.db, { actor: "system", action: "webhooks.repaired", target: { type: "integration", id: integration.id, tenantId: integration.tenantId }, details: { repaired } });
    await setConnection(ctx.env, integration.id, "shop", { ...conn, checkedAt: now.toISOString() });
  } catch (e) {
    if (!(e instanceof TransferError)) throw e;
    await setHealth(ctx.db, integration.id, unhealthy(e, now));
  }
}
