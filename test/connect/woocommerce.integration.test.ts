import { env, exports } from "cloudflare:workers";
import type { FetchFn } from "../../src/lib/outbound";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setOutboundFetch } from "../../src/lib/outbound";
import { TransferContext } from "../../src/transfers/transfer";
import { handleMessage } from "../../src/queue";
import { activate, call, createIntegration, postWoo, waitForOrder } from "../helpers";
import { signedInOwner } from "../pages/helpers";
import { fakeWooConsent } from "../fakes/woocommerce-auth";

const SITE = "https://shop.example.com";

let woo: ReturnType<typeof fakeWooConsent>;
beforeEach(() => {
  woo = fakeWooConsent();
  setOutboundFetch(woo.fetch);
});
afterEach(() => setOutboundFetch());

async function ownerWithWoo(role: "owner" | "member" = "owner") {
  const owner = await signedInOwner({ role });
  const integration = await createIntegration(owner.tenantId, { shop: { module: "woocommerce", settings: { siteUrl: SITE } }, accounting: { module: "sandbox", settings: {} } });
  return { ...owner, integration };
}

async function start(b: Awaited<ReturnType<typeof signedInOwner>>["b"], id: string) {
  const r = await b.get(`/connect/woocommerce/start?integrationId=${id}`);
  expect(r.status).toBe(302);
  const url = new URL(r.location!);
  expect(url.origin + url.pathname).toBe(`${SITE}/wc-auth/v1/authorize`);
  expect(Object.fromEntries(url.searchParams)).toMatchObject({ app_name: "orderbridge", scope: "read_write", return_url: `https://orderbridge.test/integrations/${id}`, callback_url: "https://orderbridge.test/connect/woocommerce/callback" });
  return url.searchParams.get("user_id")!;
}

/** What WooCommerce posts once the merchant approved. */
const consent = (state: string, over: Record<string, unknown> = {}) =>
  call("POST", "/connect/woocommerce/callback", { key_id: 1, user_id: state, consumer_key: woo.keys.key, consumer_secret: woo.keys.secret, key_permissions: "read_write", ...over }, null);

describe("WooCommerce keys by consent (R26)", () => {
  it("Connect → consent → keys stored, two webhooks with a fresh secret, activation complete, an order flows", async () => {
    const { b, integration } = await ownerWithWoo();
    const state = await start(b, integration.id);
    const r = await consent(state);
    expect(r.status, r.text).toBe(200);
    expect(woo.hooks.map((h) => [h.topic, h.delivery_url, h.status])).toEqual([
      ["order.created", `https://orderbridge.test/webhooks/woocommerce/${integration.id}`, "active"],
      ["order.updated", `https://orderbridge.test/webhooks/woocommerce/${integration.id}`, "active"],
    ]);
    const secret = woo.hooks[0].secret;
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const v = (await call("GET", `/api/staff/integrations/${integration.id}`)).json;
    expect(v.connection.shop).toMatchObject({ status: "connected", via: "oauth", account: SITE });
    expect(v.shop.settings).toMatchObject({ consumerKey: "********", consumerSecret: "********", webhookSecret: "********" });
    await activate(integration.id);
    const at = new Date(Date.now() + 1000).toISOString().slice(0, 19);
    const order = { id: 31, number: "31", status: "processing", currency: "DKK", date_created_gmt: at, date_modified_gmt: at, total: "125.00", total_tax: "25.00", billing: { first_name: "A", last_name: "B", email: "a@example.dk", country: "DK" }, line_items: [{ id: 1, name: "T", sku: "SKU-1", quantity: 1, subtotal: "100.00", total: "100.00", total_tax: "25.00", taxes: [{ id: 1, total: "25.00" }] }], shipping_lines: [], tax_lines: [{ id: 3, rate_id: 1, rate_percent: 25 }], fee_lines: [], coupon_lines: [] };
    expect((await postWoo(integration.id, order, secret)).status).toBe(200);
    expect((await waitForOrder(integration.id, "31")).status).toBe("transferred");
  });

  it("the consent screen as WooCommerce runs it: the keys posted to our callback, the browser back with success=1; the delivered order flows", async () => {
    const { b, integration } = await ownerWithWoo();
    const r = await b.get(`/connect/woocommerce/start?integrationId=${integration.id}`);
    const authorize = new URL(r.location!);
    expect(woo.checkAuthorize(authorize.searchParams)).toBeNull();
    const post: FetchFn = (url, init) => exports.default.fetch(new Request(url, init));
    const back = new URL(await woo.approve(authorize.searchParams, post));
    expect(back.pathname).toBe(`/integrations/${integration.id}`);
    expect(back.searchParams.get("success")).toBe("1");
    expect((await call("GET", `/api/staff/integrations/${integration.id}`)).json.connection.shop.status).toBe("connected");
    // The same consent again (its state is used up) is refused by our callback: WooCommerce reports success=0.
    expect(new URL(await woo.approve(authorize.searchParams, post)).searchParams.get("success")).toBe("0");
    await activate(integration.id);
    const at = new Date(Date.now() + 1000).toISOString().slice(0, 19);
    const order = { id: 41, number: "41", status: "processing", currency: "DKK", date_created_gmt: at, date_modified_gmt: at, total: "125.00", total_tax: "25.00", billing: { first_name: "A", last_name: "B", email: "a@example.dk", country: "DK" }, line_items: [{ id: 1, name: "T", sku: "SKU-1", quantity: 1, subtotal: "100.00", total: "100.00", total_tax: "25.00", taxes: [{ id: 1, total: "25.00" }] }], shipping_lines: [], tax_lines: [{ id: 3, rate_id: 1, rate_percent: 25 }], fee_lines: [], coupon_lines: [] };
    expect(await woo.deliver(post, order)).toEqual([200]);
    expect((await waitForOrder(integration.id, "41")).status).toBe("transferred");
  });

  it("a bad, reused or expired state, or keys that are not read_write, store nothing", async () => {
    const { b, integration } = await ownerWithWoo();
    expect((await consent("forged-state-0123456789")).status).toBe(400);
    const state = await start(b, integration.id);
    expect((await consent(state, { key_permissions: "read" })).status).toBe(400);
    expect((await call("POST", "/connect/woocommerce/callback", "not json", null)).status).toBe(400);
    expect((await consent(state)).status).toBe(200);
    expect((await consent(state)).status).toBe(400); // single use
    const s2 = await start(b, integration.id);
    await env.DB.prepare("UPDATE connect_states SET expires_at = ? WHERE provider = 'woocommerce' AND used_at IS NULL").bind(new Date(Date.now() - 1).toISOString()).run();
    expect((await consent(s2)).status).toBe(400);
    expect(woo.hooks).toHaveLength(2);
    const member = await ownerWithWoo("member");
    expect((await member.b.get(`/connect/woocommerce/start?integrationId=${member.integration.id}`)).status).toBe(403);
  });

  it("the daily check re-enables a disabled webhook and re-creates a deleted one, and says so in the log", async () => {
    const { b, integration } = await ownerWithWoo();
    await consent(await start(b, integration.id));
    await activate(integration.id);
    woo.hooks[0].status = "disabled"; // WooCommerce gave up after 5 failed deliveries
    woo.hooks.splice(1, 1); // the merchant deleted the other one
    // A day later.
    await env.DB.prepare("UPDATE integrations SET shop_connection = json_set(shop_connection, '$.checkedAt', ?) WHERE id = ?").bind(new Date(Date.now() - 25 * 3600_000).toISOString(), integration.id).run();
    const ctx = new TransferContext(env);
    await handleMessage(ctx, { type: "reconcile", integrationId: integration.id }, 1);
    expect(woo.hooks.map((h) => [h.topic, h.status])).toEqual([
      ["order.created", "active"],
      ["order.updated", "active"],
    ]);
    const log = await env.DB.prepare("SELECT details FROM audit_log WHERE action = 'webhooks.repaired' AND target_id = ?").bind(integration.id).first<{ details: string }>();
    expect(JSON.parse(log!.details).repaired).toEqual([
      { topic: "order.created", action: "reactivated" },
      { topic: "order.updated", action: "created" },
    ]);
    // Checked today already: the next sweep makes no webhook calls.
    woo.hooks[0].status = "paused";
    await handleMessage(ctx, { type: "reconcile", integrationId: integration.id }, 1);
    expect(woo.hooks[0].status).toBe("paused");
  });
});
