/**
 * Shopify app install (R26): OAuth authorization-code grant with an expiring offline token, then the
 * webhooks the integration needs, registered with GraphQL `webhookSubscriptionCreate`. Webhooks of a
 * connected shop are signed with the app's secret (SHOPIFY_API_SECRET), so no webhook secret is typed.
 * (shopify.dev: authorization-code grant, "Verify a request" HMAC of the sorted query, expiring offline
 * access tokens, WebhookSubscriptionInput `uri` from 2025-10.)
 */
import { safeEqual } from "../../lib/crypto";
import { shopFetchJson } from "../http/shop-fetch";
import { TransferError } from "../../domain/errors";
import type { FetchFn } from "../../lib/outbound";
import { refusal } from "../connect";
import type { ConnectFlow, ConnectRefusal, Words } from "../types";
import { SHOPIFY_API_VERSION } from "./client";

export const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

/** The topics a connected shop sends (api.md "Connections"), as GraphQL enum values. */
export const SHOPIFY_TOPICS = ["ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_PAID", "ORDERS_CANCELLED", "REFUNDS_CREATE", "APP_UNINSTALLED"] as const;

type ShopifyEnv = Env & { SHOPIFY_API_KEY?: string; SHOPIFY_API_SECRET?: string; SHOPIFY_SCOPES?: string };

export function shopifyApp(env: Env) {
  const e = env as ShopifyEnv;
  if (!e.SHOPIFY_API_KEY || !e.SHOPIFY_API_SECRET) return null;
  return { key: e.SHOPIFY_API_KEY, secret: e.SHOPIFY_API_SECRET, scopes: e.SHOPIFY_SCOPES || "read_orders,read_all_orders" };
}

/** The Admin origin of a shop (SHOPIFY_ADMIN_ORIGIN in tests). */
export const adminOrigin = (env: Env, shop: string) => (env.SHOPIFY_ADMIN_ORIGIN || `https://${shop}`).replace(/\/+$/, "");

async function hmacHex(secret: string, message: string) {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return [...new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Shopify's request signature: hex HMAC-SHA256, keyed with the app secret, of the query without `hmac`
 * (and the legacy `signature`), its parameters sorted by name and joined as `k=v&k=v`. Constant time.
 */
export async function verifyShopifyQuery(query: URLSearchParams, secret: string): Promise<boolean> {
  const given = query.get("hmac");
  if (!given) return false;
  const message = [...query.entries()]
    .filter(([k]) => k !== "hmac" && k !== "signature")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  return safeEqual(await hmacHex(secret, message), given.toLowerCase());
}

export interface ShopifyToken {
  accessToken: string;
  refreshToken?: string;
  /** When the access token runs out (ISO), for an expiring offline token. */
  expiresAt?: string;
  scope?: string;
}

/** Exchanges the authorization code for an expiring offline token (`expiring=1`). */
export async function exchangeCode(fetch: FetchFn, env: Env, shop: string, code: string, now = new Date()): Promise<ShopifyToken> {
  const app = shopifyApp(env)!;
  const { json } = await shopFetchJson(fetch, env, `${adminOrigin(env, shop)}/admin/oauth/access_token`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ client_id: app.key, client_secret: app.secret, code, expiring: 1 }),
  });
  const t = json as { access_token?: string; refresh_token?: string; expires_in?: number; scope?: string };
  if (!t?.access_token) throw new TransferError("shop_unavailable", "Shopify did not return an access token");
  return {
    accessToken: t.access_token,
    ...(t.refresh_token ? { refreshToken: t.refresh_token } : {}),
    ...(t.expires_in ? { expiresAt: new Date(now.getTime() + t.expires_in * 1000).toISOString() } : {}),
    ...(t.scope ? { scope: t.scope } : {}),
  };
}

/** The shop's name, read with the new token (the connection's account). */
export async function shopName(fetch: FetchFn, env: Env, shop: string, accessToken: string): Promise<string> {
  const data = await adminGraphql(fetch, env, shop, accessToken, "query { shop { name myshopifyDomain } }", {});
  return String((data.shop as { name?: string } | undefined)?.name ?? shop);
}

async function adminGraphql(fetch: FetchFn, env: Env, shop: string, accessToken: string, query: string, variables: Record<string, unknown>) {
  const { json } = await shopFetchJson(fetch, env, `${adminOrigin(env, shop)}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", "x-shopify-access-token": accessToken },
    body: JSON.stringify({ query, variables }),
  });
  const body = json as { data?: Record<string, unknown>; errors?: { message?: string }[] };
  if (body?.errors?.length || !body?.data) throw new TransferError("shop_unavailable", `Shopify refused the query: ${(body?.errors ?? []).map((e) => e.message).join("; ") || "no data"}`);
  return body.data;
}

const CREATE_WEBHOOK = `mutation Create($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) { webhookSubscription { id topic uri } userErrors { field message } }
}`;
const LIST_WEBHOOKS = `query { webhookSubscriptions(first: 50) { nodes { id topic uri } } }`;

/**
 * Registers the integration's webhooks: every topic not yet subscribed to `uri` is created, so running it
 * again (a reconnect) creates no duplicates. Returns the topics subscribed.
 */
export async function registerWebhooks(fetch: FetchFn, env: Env, shop: string, accessToken: string, uri: string): Promise<string[]> {
  const existing = (await adminGraphql(fetch, env, shop, accessToken, LIST_WEBHOOKS, {})) as { webhookSubscriptions?: { nodes?: { topic: string; uri: string }[] } };
  const have = new Set((existing.webhookSubscriptions?.nodes ?? []).filter((n) => n.uri === uri).map((n) => n.topic));
  for (const topic of SHOPIFY_TOPICS) {
    if (have.has(topic)) continue;
    const data = (await adminGraphql(fetch, env, shop, accessToken, CREATE_WEBHOOK, { topic, webhookSubscription: { uri, format: "JSON" } })) as {
      webhookSubscriptionCreate?: { userErrors?: { message: string }[] };
    };
    const errors = data.webhookSubscriptionCreate?.userErrors ?? [];
    // "Address for this topic has already been taken" is a subscription that exists: fine.
    if (errors.length && !errors.every((e) => /already been taken/i.test(e.message)))
      throw new TransferError("shop_unavailable", `Shopify refused the webhook ${topic}: ${errors.map((e) => e.message).join("; ")}`);
    have.add(topic);
  }
  return [...have];
}

/** A signed query from Shopify naming a myshopify.com shop; the refusal (401, 400) otherwise. */
async function signedShop(env: Env, query: URLSearchParams, unsigned: Words, notShop: Words): Promise<ConnectRefusal | null> {
  if (!(await verifyShopifyQuery(query, shopifyApp(env)!.secret))) return refusal(401, unsigned);
  if (!SHOP_DOMAIN.test(query.get("shop") ?? "")) return refusal(400, notShop);
  return null;
}

/** The app install: the merchant approves in the shop's admin and comes back in the same browser. */
export const shopifyConnect: ConnectFlow = {
  env: ["SHOPIFY_API_KEY", "SHOPIFY_API_SECRET"],
  requires: [
    {
      setting: "shopDomain",
      ok: (v) => SHOP_DOMAIN.test(v),
      missing: { da: "Angiv først butikkens myshopify-domæne (fx din-butik.myshopify.com).", en: "First enter the shop's myshopify domain (e.g. your-shop.myshopify.com)." },
    },
  ],
  authorizeUrl({ env, settings, state, callbackUrl }) {
    const app = shopifyApp(env)!;
    const q = new URLSearchParams({ client_id: app.key, scope: app.scopes, redirect_uri: callbackUrl, state });
    return `${adminOrigin(env, String(settings.shopDomain ?? ""))}/admin/oauth/authorize?${q}`;
  },
  callback: { method: "GET", reads: "query", state: "state", session: true, answers: "page" },
  // The signature first, over the raw query: nothing is looked up or used before it holds.
  verify: (env, { query }) =>
    signedShop(
      env,
      query,
      { da: "Svaret fra Shopify kunne ikke bekræftes. Tryk på Forbind igen.", en: "Shopify's answer could not be verified. Press Connect again." },
      { da: "Butikkens adresse er ikke en myshopify.com-adresse.", en: "The shop is not a myshopify.com address." },
    ),
  async complete({ env, fetch, settings, query, webhookUrl }) {
    const shop = query.get("shop") ?? "";
    if (String(settings.shopDomain ?? "").toLowerCase() !== shop.toLowerCase())
      return refusal(400, { da: `Du godkendte butikken ${shop}, men integrationen er sat op til ${String(settings.shopDomain)}.`, en: `You approved the shop ${shop}, but the integration is set up for ${String(settings.shopDomain)}.` });
    const code = query.get("code") ?? "";
    if (!/^[A-Za-z0-9_-]{4,200}$/.test(code)) return refusal(400, { da: "Shopify sendte ingen gyldig kode.", en: "Shopify sent no valid code." });
    let account: string;
    let token;
    try {
      token = await exchangeCode(fetch, env, shop, code);
      account = await shopName(fetch, env, shop, token.accessToken);
      await registerWebhooks(fetch, env, shop, token.accessToken, webhookUrl);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return refusal(400, { da: `Shopify afviste forbindelsen (${message}). Prøv igen.`, en: `Shopify refused the connection (${message}). Please try again.` });
    }
    return {
      ok: true,
      credentials: {
        accessToken: token.accessToken,
        ...(token.refreshToken ? { refreshToken: token.refreshToken } : {}),
        ...(token.expiresAt ? { accessTokenExpiresAt: token.expiresAt } : {}),
      },
      account,
      details: { shop, account },
    };
  },
  // An install started in Shopify's admin: verified, then the merchant signs in and picks the integration.
  async install(env, query) {
    const refused = await signedShop(
      env,
      query,
      { da: "Forespørgslen fra Shopify kunne ikke bekræftes.", en: "The request from Shopify could not be verified." },
      { da: "Butikkens adresse er ikke en myshopify.com-adresse. Start installationen igen fra Shopify.", en: "The shop is not a myshopify.com address. Start the install again from Shopify." },
    );
    return refused ?? { ok: true, redirect: `/integrations?connectShop=${encodeURIComponent(query.get("shop")!)}` };
  },
};
