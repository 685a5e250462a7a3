import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setOutboundFetch } from "../../src/lib/outbound";
import { fakeShopifyApp } from "../fakes/shopify-app";
import { activate, call, postShopify, waitForOrder } from "../helpers";
import { APP_SECRET, hmacHex, ownerWithShop, signedCallback, start } from "./shopify-helpers";
import { signedInOwner } from "../pages/helpers";
import shopifyDk from "../fixtures/shopify/own-dk-25-taxes-included-discount-shipping.json";

let shopify: ReturnType<typeof fakeShopifyApp>;
beforeEach(() => {
  shopify = fakeShopifyApp();
  setOutboundFetch(shopify.fetch);
});
afterEach(() => setOutboundFetch());

const view = async (id: string) => (await call("GET", `/api/staff/integrations/${id}`)).json;

describe("Shopify app install (R26)", () => {
  it("Connect → approve → token stored, webhooks registered, activation needs no typed secret, orders signed with the app secret flow", async () => {
    const { b, integration } = await ownerWithShop();
    expect((await call("POST", `/api/staff/integrations/${integration.id}/activate`)).json.error.details.missing).toEqual(["shop.accessToken", "shop.webhookSecret"]);
    const state = await start(b, integration.id);
    const back = await b.get(await signedCallback({ code: shopify.approve(), shop: "demo-shop.myshopify.com", state, timestamp: String(Math.floor(Date.now() / 1000)) }));
    expect(back.status, back.text.slice(0, 300)).toBe(303);
    expect(back.location).toBe(`/integrations/${integration.id}`);

    const v = await view(integration.id);
    expect(v.connection.shop).toMatchObject({ status: "connected", via: "oauth", account: "Demo Butik" });
    expect(v.shop.settings.accessToken).toBe("********");
    expect(v.shop.settings.refreshToken).toBe("********");
    expect(JSON.stringify(v)).not.toMatch(/shpat_|shprt_/);
    // The code was exchanged for an expiring offline token.
    expect(shopify.log.find((l) => l.path === "/admin/oauth/access_token")?.body).toMatchObject({ client_id: "test-shopify-client-id", expiring: 1 });
    expect(shopify.webhooks.map((w) => w.topic).sort()).toEqual(["APP_UNINSTALLED", "ORDERS_CANCELLED", "ORDERS_CREATE", "ORDERS_PAID", "ORDERS_UPDATED", "REFUNDS_CREATE"]);
    for (const w of shopify.webhooks) expect(w.uri).toBe(`https://orderbridge.test/webhooks/shopify/${integration.id}`);

    await activate(integration.id);
    const at = new Date(Date.now() + 1000).toISOString();
    const order = { ...shopifyDk, id: 7001, created_at: at, updated_at: at, line_items: shopifyDk.line_items.map((l, n) => ({ ...l, sku: `SKU-${n + 1}` })) };
    // Signed with the app's secret, as Shopify signs an app's webhooks.
    expect((await postShopify(integration.id, order, APP_SECRET)).status).toBe(200);
    expect((await waitForOrder(integration.id, "7001")).status).toBe("transferred");
    expect((await postShopify(integration.id, { ...order, id: 7002 }, "some-other-secret")).status).toBe(401);

    // The merchant removes the app: needs reconnect; nothing is called meanwhile; reconnecting registers no duplicates.
    expect((await postShopify(integration.id, { id: 1, domain: "demo-shop.myshopify.com" }, APP_SECRET, { topic: "app/uninstalled" })).status).toBe(200);
    expect((await view(integration.id)).connection.shop.status).toBe("needs_reconnect");
    const again = await start(b, integration.id);
    expect((await b.get(await signedCallback({ code: shopify.approve(), shop: "demo-shop.myshopify.com", state: again, timestamp: "1" }))).status).toBe(303);
    expect((await view(integration.id)).connection.shop.status).toBe("connected");
    expect(shopify.webhooks).toHaveLength(6);
  });

  it("every bad callback is refused and stores nothing: signature, shop, state, reuse, another session", async () => {
    const { b, integration } = await ownerWithShop();
    const state = await start(b, integration.id);
    const ok = { code: shopify.approve(), shop: "demo-shop.myshopify.com", state, timestamp: "1" };
    expect((await b.get(await signedCallback(ok, "not-the-app-secret"))).status).toBe(401);
    const tampered = (await signedCallback(ok)).replace("demo-shop", "evil-shop");
    expect((await b.get(tampered)).status).toBe(401);
    expect((await b.get(await signedCallback({ ...ok, shop: "evil.example.com" }))).status).toBe(400);
    expect((await b.get(await signedCallback({ ...ok, state: "forged-state-0123456789" }))).status).toBe(400);
    const other = await signedInOwner();
    expect((await other.b.get(await signedCallback(ok))).status).toBe(400); // another session: the state is used up
    expect((await b.get(await signedCallback(ok))).status).toBe(400); // and cannot be used again
    // A shop other than the integration's.
    const s2 = await start(b, integration.id);
    expect((await b.get(await signedCallback({ ...ok, state: s2, shop: "other-shop.myshopify.com" }))).status).toBe(400);
    const v = await view(integration.id);
    expect(v.connection.shop.status).toBe("not_connected");
    expect(v.shop.settings.accessToken).toBeUndefined();
    expect(shopify.webhooks).toHaveLength(0);
  });

  it("an expired state, a look-alike shop, or a state of another tenant's integration stores nothing", async () => {
    const { b, integration } = await ownerWithShop();
    const ok = { code: shopify.approve(), shop: "demo-shop.myshopify.com", timestamp: "1" };
    // Signed, but the shop only looks like a myshopify.com address.
    const s1 = await start(b, integration.id);
    expect((await b.get(await signedCallback({ ...ok, state: s1, shop: "demo-shop.myshopify.com.evil.example" }))).status).toBe(400);
    // Over 10 minutes old.
    const s2 = await start(b, integration.id);
    await env.DB.prepare("UPDATE connect_states SET expires_at = ? WHERE integration_id = ? AND used_at IS NULL").bind(new Date(Date.now() - 1000).toISOString(), integration.id).run();
    expect((await b.get(await signedCallback({ ...ok, state: s2 }))).status).toBe(400);
    // A state whose integration belongs to another tenant than the one that started it.
    const s3 = await start(b, integration.id);
    await env.DB.prepare("UPDATE connect_states SET tenant_id = 'ten_someone_else' WHERE integration_id = ? AND used_at IS NULL").bind(integration.id).run();
    expect((await b.get(await signedCallback({ ...ok, state: s3 }))).status).toBe(400);
    const v = await view(integration.id);
    expect(v.connection.shop.status).toBe("not_connected");
    expect(v.shop.settings.accessToken).toBeUndefined();
    expect(shopify.log.filter((l) => l.path === "/admin/oauth/access_token")).toHaveLength(0);
  });

  it("a member gets 403 and no state; another tenant's integration is 404", async () => {
    const member = await ownerWithShop("member");
    expect((await member.b.get(`/connect/shopify/start?integrationId=${member.integration.id}`)).status).toBe(403);
    const stranger = await signedInOwner();
    expect((await stranger.b.get(`/connect/shopify/start?integrationId=${member.integration.id}`)).status).toBe(404);
    const n = await env.DB.prepare("SELECT count(*) AS n FROM connect_states WHERE integration_id = ?").bind(member.integration.id).first<{ n: number }>();
    expect(n!.n).toBe(0);
  });

  it("an install started in Shopify is verified, then sent to sign in", async () => {
    const params = { shop: "demo-shop.myshopify.com", timestamp: "1" };
    const query = new URLSearchParams({ ...params, hmac: await hmacHex("shop=demo-shop.myshopify.com&timestamp=1") });
    const { b } = await signedInOwner();
    b.cookies.clear();
    const r = await b.get(`/connect/shopify?${query}`);
    expect(r.status).toBe(302);
    expect(r.location).toContain("/integrations");
    query.set("hmac", "00".repeat(32));
    expect((await b.get(`/connect/shopify?${query}`)).status).toBe(401);
  });
});
