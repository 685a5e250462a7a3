/**
 * WooCommerce keys by consent (R26): the merchant approves orderbridge at the shop's
 * `/wc-auth/v1/authorize`; WooCommerce then POSTs the new REST keys to our callback, server to server
 * (woocommerce.github.io/woocommerce-rest-api-docs "Authentication endpoint"), with `user_id` = our one-time
 * state. The two order webhooks are then created through the REST API with a fresh secret, and a daily
 * check re-enables or re-creates one that WooCommerce paused or disabled (after 5 failed deliveries).
 */
import { TransferError } from "../../domain/errors";
import { randomToken } from "../../lib/crypto";
import type { FetchFn } from "../../lib/outbound";
import { refusal } from "../connect";
import { shopFetchJson } from "../http/shop-fetch";
import type { ConnectFlow } from "../types";

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

const siteOf = (siteUrl: unknown) => String(siteUrl ?? "").replace(/\/+$/, "");

/** Keys by consent: the merchant approves at the shop, and WooCommerce posts the keys to us. */
export const woocommerceConnect: ConnectFlow = {
  env: [],
  requires: [
    {
      setting: "siteUrl",
      ok: (v) => siteOf(v) !== "",
      missing: { da: "Angiv først butikkens adresse (fx https://din-butik.dk).", en: "First enter the shop's address (e.g. https://your-shop.com)." },
    },
  ],
  authorizeUrl({ settings, state, callbackUrl, returnUrl }) {
    const q = new URLSearchParams({ app_name: "orderbridge", scope: "read_write", user_id: state, return_url: returnUrl, callback_url: callbackUrl });
    return `${siteOf(settings.siteUrl)}/wc-auth/v1/authorize?${q}`;
  },
  // Server to server: WooCommerce posts the keys; the state alone identifies the flow (no browser session).
  callback: { method: "POST", reads: "json", state: "user_id", session: false, answers: "json" },
  verify: async (_env, { fields }) => (consentKeys(fields) ? null : refusal(400, "Expected WooCommerce's read_write keys: consumer_key, consumer_secret, user_id, key_permissions")),
  async complete({ env, fetch, settings, fields, webhookUrl }) {
    const keys = consentKeys(fields)!;
    const siteUrl = String(settings.siteUrl ?? "");
    const webhookSecret = newWebhookSecret();
    try {
      await ensureWooWebhooks(fetch, env, siteUrl, keys, webhookUrl, webhookSecret);
    } catch (e) {
      // Nothing is stored: the merchant presses Connect again.
      return refusal(502, `The keys were received but the webhooks could not be created: ${e instanceof Error ? e.message : String(e)}`, "shop_unavailable");
    }
    return { ok: true, credentials: { consumerKey: keys.consumerKey, consumerSecret: keys.consumerSecret, webhookSecret }, account: siteUrl, details: { siteUrl } };
  },
  /**
   * WooCommerce pauses or disables a webhook after 5 failed deliveries, and orders then silently stop
   * (frappe/ecommerce_integrations #258). For a shop connected by consent (we created its webhooks), the
   * daily check lists them and re-enables or re-creates what is missing.
   */
  webhookCheck: {
    everyHours: 24,
    async run({ env, fetch, settings: s, webhookUrl }) {
      try {
        const done = await ensureWooWebhooks(fetch, env, String(s.siteUrl), { consumerKey: String(s.consumerKey), consumerSecret: String(s.consumerSecret) }, webhookUrl, String(s.webhookSecret));
        return { repaired: done.filter((d) => d.action !== "ok") };
      } catch (e) {
        if (!(e instanceof TransferError)) throw e;
        return { failed: e };
      }
    },
  },
};
