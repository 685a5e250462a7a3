/**
 * Shopify app install (R26): OAuth authorization-code grant with an expiring offline token, then the
 * webhooks the integration needs, registered with GraphQL `webhookSubscriptionCreate`. Webhooks of a
 * connected shop are signed with the app's secret (SHOPIFY_API_SECRET), so no webhook secret is typed.
 * (shopify.dev: authorization-code grant, "Verify a request" HMAC of the sorted query, expiring offline
 * access tokens, WebhookSubscriptionInput `uri` from 2025-10.)
 */
import { safeEqual } from "../lib/crypto";
import { shopFetchJson } from "../modules/http/shop-fetch";
import { TransferError } from "../domain/errors";
import type { FetchFn } from "../lib/outbound";
import { SHOPIFY_API_VERSION } from "../modules/shopify/client";

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
