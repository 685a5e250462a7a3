import { expect } from "vitest";
import { shopifyClient as moduleClient } from "../../src/modules/shopify/client";
import type { ShopContext } from "../../src/modules/types";
import { shopCredentials } from "../../src/transfers/shop-credentials";
import { createIntegration } from "../helpers";
import { signedInOwner } from "../pages/helpers";

export const APP_SECRET = "test-shopify-app-secret";

export async function hmacHex(message: string, secret = APP_SECRET) {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return [...new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Shopify's redirect back: the query signed as Shopify signs it (sorted, hex HMAC with the app secret). */
export async function signedCallback(params: Record<string, string>, secret = APP_SECRET) {
  const sorted = Object.entries(params).sort(([a], [b]) => (a < b ? -1 : 1));
  const hmac = await hmacHex(sorted.map(([k, v]) => `${k}=${v}`).join("&"), secret);
  return `/connect/shopify/callback?${new URLSearchParams({ ...params, hmac })}`;
}

export async function ownerWithShop(role: "owner" | "member" = "owner", shopDomain = "demo-shop.myshopify.com") {
  const owner = await signedInOwner({ role });
  const integration = await createIntegration(owner.tenantId, { shop: { module: "shopify", settings: { shopDomain } }, accounting: { module: "sandbox", settings: {} } });
  return { ...owner, integration };
}

export async function start(b: Awaited<ReturnType<typeof signedInOwner>>["b"], integrationId: string) {
  const r = await b.get(`/connect/shopify/start?integrationId=${integrationId}`);
  expect(r.status).toBe(302);
  const url = new URL(r.location!);
  expect(url.origin + url.pathname).toBe("https://shopify.fake/admin/oauth/authorize");
  expect(Object.fromEntries(url.searchParams)).toMatchObject({ client_id: "test-shopify-client-id", scope: "read_orders,read_all_orders", redirect_uri: "https://orderbridge.test/connect/shopify/callback" });
  return url.searchParams.get("state")!;
}

/** A shop connected by the app install: owner, integration, and the callback answered. */
export async function connectedShop(approve: () => string, shop = `s${crypto.randomUUID().slice(0, 8)}.myshopify.com`) {
  const owner = await ownerWithShop("owner", shop);
  const state = await start(owner.b, owner.integration.id);
  const back = await owner.b.get(await signedCallback({ code: approve(), shop, state, timestamp: String(Math.floor(Date.now() / 1000)) }));
  expect(back.status, back.text.slice(0, 300)).toBe(303);
  return owner;
}

/** Shopify's client as the core opens it: with the port that stores a renewed token and reports a refused one. */
export const shopifyClient = (ctx: ShopContext) => moduleClient({ ...ctx, credentials: shopCredentials(ctx.env, ctx.integrationId) });
