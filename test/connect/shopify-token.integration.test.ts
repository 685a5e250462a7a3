import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client";
import { loadIntegration, sideSettings } from "../../src/integrations/store";
import { setOutboundFetch } from "../../src/lib/outbound";
import { SHOPIFY_API_VERSION } from "../../src/modules/shopify/client";
import { incidentOf } from "../../src/notify/incidents";
import { fakeShopifyApp } from "../fakes/shopify-app";
import { call, createIntegration, createTenant } from "../helpers";
import { connectedShop, shopifyClient } from "./shopify-helpers";

const MINUTE = 60_000;
let clock: number;
let shopify: ReturnType<typeof fakeShopifyApp>;
beforeEach(() => {
  clock = Date.now();
  shopify = fakeShopifyApp({ now: () => clock });
  setOutboundFetch(shopify.fetch);
});
afterEach(() => setOutboundFetch());

/** A worker's view of the shop: the settings as it read them, its own context. */
async function worker(integrationId: string) {
  const row = (await loadIntegration(env, integrationId))!;
  return { integrationId, settings: await sideSettings(env, row, "shop"), env, db: getDb(env), fetch: shopify.fetch, now: () => clock };
}
const readOrder = async (ctx: Awaited<ReturnType<typeof worker>>) => shopifyClient(ctx).getOrder!("1");
const stored = async (id: string) => sideSettings(env, (await loadIntegration(env, id))!, "shop");
const graphqlWith = (token: string) =>
  shopify.fetch(`https://shopify.fake/admin/api/${SHOPIFY_API_VERSION}/graphql.json`, { method: "POST", headers: { "x-shopify-access-token": token, "content-type": "application/json" }, body: JSON.stringify({ query: "query { shop { name } }" }) });

describe("Shopify expiring offline tokens (R26)", () => {
  it("a fresh token is used as it is; one about to run out is renewed once, stored encrypted, and used by every later session", async () => {
    const { integration } = await connectedShop(shopify.approve);
    const first = await worker(integration.id);
    await readOrder(first);
    await readOrder(first);
    expect(shopify.refreshes()).toBe(0);

    // An hour later the old token is refused by Shopify (the fake enforces expiry)…
    clock += 61 * MINUTE;
    expect((await graphqlWith(String(first.settings.accessToken))).status).toBe(401);
    // …and the client renews it before its call.
    const before = await stored(integration.id);
    await readOrder(first);
    expect(shopify.refreshes()).toBe(1);
    const after = await stored(integration.id);
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(Date.parse(String(after.accessTokenExpiresAt))).toBe(clock + 3600_000);
    // Stored encrypted: the row holds no token in plain text, the staff view shows none.
    const raw = await env.DB.prepare("SELECT shop_settings, shop_secrets FROM integrations WHERE id = ?").bind(integration.id).first<Record<string, string>>();
    expect(JSON.stringify(raw)).not.toMatch(/shpat_|shprt_/);
    expect(JSON.stringify((await call("GET", `/api/staff/integrations/${integration.id}`)).json)).not.toMatch(/shpat_|shprt_/);
    // Never per order: the same session, and a new one, reuse the renewed token.
    await readOrder(first);
    await readOrder(await worker(integration.id));
    expect(shopify.refreshes()).toBe(1);
  });

  it("two workers renewing at once: one refresh; the other takes what it stored (the spent refresh token is never sent again)", async () => {
    const { integration } = await connectedShop(shopify.approve);
    const a = await worker(integration.id);
    const b = await worker(integration.id);
    clock += 58 * MINUTE;
    await Promise.all([readOrder(a), readOrder(b)]);
    expect(shopify.refreshes()).toBe(1);
    expect(a.settings.accessToken).toBe(b.settings.accessToken);
    // A third worker still holding the pair from before the refresh: it reads the stored pair, no refresh.
    const stale = { ...(await worker(integration.id)), settings: { ...b.settings, accessToken: "shpat_old", refreshToken: "shprt_spent", accessTokenExpiresAt: new Date(clock).toISOString() } };
    await readOrder(stale);
    expect(shopify.refreshes()).toBe(1);
    expect((await call("GET", `/api/staff/integrations/${integration.id}`)).json.connection.shop.status).toBe("connected");
    // The next renewal (an hour on) works with the refresh token that was kept.
    clock += 60 * MINUTE;
    await readOrder(a);
    expect(shopify.refreshes()).toBe(2);
  });

  it("a refused refresh sets needs_reconnect with a clear error, and no further call is made", async () => {
    const { integration } = await connectedShop(shopify.approve);
    const ctx = await worker(integration.id);
    shopify.revoke();
    clock += 61 * MINUTE;
    await expect(readOrder(ctx)).rejects.toThrow(/no longer accepts orderbridge's access/);
    expect(shopify.refreshes()).toBe(1);
    expect((await call("GET", `/api/staff/integrations/${integration.id}`)).json.connection.shop.status).toBe("needs_reconnect");
    // The merchant is told, as for an uninstall.
    expect((await incidentOf(getDb(env), "shop_disconnected", integration.id))?.open).toBe(1);
    await expect(readOrder(await worker(integration.id))).rejects.toThrow(/no longer accepts/);
    expect(shopify.refreshes()).toBe(1);
  });

  it("a typed token of a custom app is used as it is, never refreshed", async () => {
    const tenant = await createTenant();
    const i = await createIntegration(tenant.id, { shop: { module: "shopify", settings: { shopDomain: `t${crypto.randomUUID().slice(0, 8)}.myshopify.com`, accessToken: "shpat_typed", webhookSecret: "whsec" } }, accounting: { module: "sandbox", settings: {} } });
    const ctx = await worker(i.id);
    clock += 24 * 60 * MINUTE;
    await expect(readOrder(ctx)).rejects.toThrow(/refused the credentials/);
    expect(shopify.refreshes()).toBe(0);
  });
});
