import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decryptSecret } from "../../src/lib/crypto";
import { setOutboundFetch } from "../../src/lib/outbound";
import { FakeEconomic } from "../fakes/economic";
import { activate, call, createIntegration, economicSettingsComplete, postWoo, waitForOrder } from "../helpers";
import { signedInOwner } from "../pages/helpers";

/** The installed app's grant token that the fake e-conomic accepts. */
const GRANT = "grant-from-install-link";
let fake: FakeEconomic;
beforeEach(() => {
  fake = new FakeEconomic({ agreementGrantToken: GRANT });
  setOutboundFetch(fake.fetch);
});
afterEach(() => setOutboundFetch());

const { agreementGrantToken: _typed, ...withoutToken } = economicSettingsComplete;

async function ownerWithIntegration(role: "owner" | "member" = "owner") {
  const owner = await signedInOwner({ role });
  const i = await createIntegration(owner.tenantId, {
    shop: { module: "woocommerce", settings: { siteUrl: "https://shop.example.com", consumerKey: "ck", consumerSecret: "cs", webhookSecret: "woo-secret" } },
    accounting: { module: "economic", settings: withoutToken },
  });
  return { ...owner, integration: i };
}

/** Presses Connect and follows e-conomic's installation link as the merchant's approval would. */
async function connect(b: Awaited<ReturnType<typeof signedInOwner>>["b"], integrationId: string) {
  const start = await b.get(`/connect/economic/start?integrationId=${integrationId}`);
  expect(start.status).toBe(302);
  const url = new URL(start.location!);
  expect(url.origin + url.pathname).toBe("https://secure.economic.fake/secure/api1/requestaccess.aspx");
  expect(url.searchParams.get("appPublicToken")).toBe("test-app-public-token");
  const back = new URL(url.searchParams.get("redirectUrl")!);
  expect(back.origin + back.pathname).toBe("https://orderbridge.test/connect/economic/callback");
  return { state: back.searchParams.get("state")!, back };
}

describe("e-conomic connect by installation link (R26)", () => {
  it("Connect → approve → the grant token is stored encrypted, checked, and the connection names the agreement", async () => {
    const { b, integration } = await ownerWithIntegration();
    expect((await call("GET", `/api/staff/integrations/${integration.id}`)).json.connection.accounting).toEqual({ status: "not_connected" });
    const { back } = await connect(b, integration.id);
    const done = await b.get(`${back.pathname}${back.search}&token=${GRANT}`);
    expect(done.status).toBe(303);
    expect(done.location).toBe(`/integrations/${integration.id}`);
    expect(fake.requests("GET", "/self")).toHaveLength(1);

    const view = (await call("GET", `/api/staff/integrations/${integration.id}`)).json;
    expect(view.connection.accounting).toMatchObject({ status: "connected", via: "oauth", account: "Demo ApS (123456)" });
    expect(view.accounting.settings.agreementGrantToken).toBe("********");
    expect(JSON.stringify(view)).not.toContain(GRANT);
    const row = await env.DB.prepare("SELECT tenant_id, accounting_secrets FROM integrations WHERE id = ?").bind(integration.id).first<{ tenant_id: string; accounting_secrets: string }>();
    expect(row!.accounting_secrets).not.toContain(GRANT);
    const secrets = JSON.parse(await decryptSecret(env.ENCRYPTION_KEY, row!.accounting_secrets, `orderbridge:${row!.tenant_id}:${integration.id}:accounting`));
    expect(secrets.agreementGrantToken).toBe(GRANT);
    // Complete now: it activates and an order flows into e-conomic with the connected token.
    await activate(integration.id);
    const order = { id: 4242, number: "4242", status: "processing", currency: "DKK", date_created_gmt: new Date(Date.now() + 1000).toISOString().slice(0, 19), date_modified_gmt: new Date(Date.now() + 1000).toISOString().slice(0, 19), total: "250.00", total_tax: "50.00", billing: { first_name: "A", last_name: "B", email: "a@example.dk", country: "DK" }, line_items: [{ id: 1, name: "T", sku: "SKU-1", quantity: 2, subtotal: "100.00", total: "100.00", total_tax: "25.00", taxes: [{ id: 1, total: "25.00" }] }], shipping_lines: [{ id: 2, method_title: "Fragt", total: "100.00", total_tax: "25.00", taxes: [{ id: 1, total: "25.00" }] }], tax_lines: [{ id: 3, rate_id: 1, rate_percent: 25 }], fee_lines: [], coupon_lines: [] };
    expect((await postWoo(integration.id, order, "woo-secret")).status).toBe(200);
    expect((await waitForOrder(integration.id, "4242")).status).toBe("transferred");
  });

  it("a state is single use, bound to the session, and a refused token stores nothing", async () => {
    const { b, integration } = await ownerWithIntegration();
    const { back } = await connect(b, integration.id);
    // Another browser (no session, or another user's) cannot use the state.
    const other = await signedInOwner();
    expect((await other.b.get(`${back.pathname}${back.search}&token=${GRANT}`)).status).toBe(400);
    // Forged or missing states.
    expect((await b.get(`/connect/economic/callback?state=forged-state-value-123456&token=${GRANT}`)).status).toBe(400);
    expect((await b.get(`/connect/economic/callback?token=${GRANT}`)).status).toBe(400);
    // The other browser's attempt used the state up: the owner's own callback is refused too.
    expect((await b.get(`${back.pathname}${back.search}&token=${GRANT}`)).status).toBe(400);

    const second = await connect(b, integration.id);
    const refused = await b.get(`${second.back.pathname}${second.back.search}&token=not-the-right-grant`);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("e-conomic afviste forbindelsen");
    const view = (await call("GET", `/api/staff/integrations/${integration.id}`)).json;
    expect(view.connection.accounting.status).toBe("not_connected");
    expect(view.accounting.settings.agreementGrantToken).toBeUndefined();
  });

  it("an expired state (over 10 minutes) is refused", async () => {
    const { b, integration } = await ownerWithIntegration();
    const { state, back } = await connect(b, integration.id);
    await env.DB.prepare("UPDATE connect_states SET expires_at = ? WHERE integration_id = ?").bind(new Date(Date.now() - 1000).toISOString(), integration.id).run();
    expect(state.length).toBeGreaterThan(16);
    expect((await b.get(`${back.pathname}${back.search}&token=${GRANT}`)).status).toBe(400);
  });

  it("a member is refused (403, no state issued); another tenant's integration is 404", async () => {
    const member = await ownerWithIntegration("member");
    expect((await member.b.get(`/connect/economic/start?integrationId=${member.integration.id}`)).status).toBe(403);
    const stranger = await signedInOwner();
    expect((await stranger.b.get(`/connect/economic/start?integrationId=${member.integration.id}`)).status).toBe(404);
    const states = await env.DB.prepare("SELECT count(*) AS n FROM connect_states WHERE integration_id = ?").bind(member.integration.id).first<{ n: number }>();
    expect(states!.n).toBe(0);
  });

  it("a 401 from e-conomic later sets needs_reconnect; typing a new token or a working transfer clears it", async () => {
    const { tenantId } = await signedInOwner();
    const i = await createIntegration(tenantId, {
      shop: { module: "woocommerce", settings: { siteUrl: "https://shop.example.com", consumerKey: "ck", consumerSecret: "cs", webhookSecret: "woo-secret" } },
      accounting: { module: "economic", settings: { ...withoutToken, agreementGrantToken: "revoked-grant" } },
    });
    await activate(i.id);
    expect((await call("GET", `/api/staff/integrations/${i.id}`)).json.connection.accounting).toEqual({ status: "connected", via: "credentials" });
    const at = new Date(Date.now() + 1000).toISOString().slice(0, 19);
    const order = (id: number) => ({ id, number: String(id), status: "processing", currency: "DKK", date_created_gmt: at, date_modified_gmt: at, total: "125.00", total_tax: "25.00", billing: { first_name: "A", last_name: "B", email: "a@example.dk", country: "DK" }, line_items: [{ id: 1, name: "T", sku: "SKU-1", quantity: 1, subtotal: "100.00", total: "100.00", total_tax: "25.00", taxes: [{ id: 1, total: "25.00" }] }], shipping_lines: [], tax_lines: [{ id: 3, rate_id: 1, rate_percent: 25 }], fee_lines: [], coupon_lines: [] });
    await postWoo(i.id, order(501), "woo-secret");
    const failed = await waitForOrder(i.id, "501");
    expect(failed.error.category).toBe("accounting_auth_failed");
    expect((await call("GET", `/api/staff/integrations/${i.id}`)).json.connection.accounting.status).toBe("needs_reconnect");
    expect((await call("PATCH", `/api/staff/integrations/${i.id}`, { accounting: { settings: { agreementGrantToken: GRANT } } })).status).toBe(200);
    expect((await call("GET", `/api/staff/integrations/${i.id}`)).json.connection.accounting).toEqual({ status: "connected", via: "credentials" });
    await postWoo(i.id, order(502), "woo-secret");
    expect((await waitForOrder(i.id, "502")).status).toBe("transferred");
  });

  it("the app deleted in e-conomic: the next call's 401 shows needs reconnect with a Reconnect button; reconnecting connects again", async () => {
    const { b, integration } = await ownerWithIntegration();
    const first = await connect(b, integration.id);
    expect((await b.get(`${first.back.pathname}${first.back.search}&token=${GRANT}`)).status).toBe(303);
    await activate(integration.id);
    // The merchant removes orderbridge from the agreement: the grant token is revoked.
    fake.agreementGrantToken = "grant-of-the-next-install";
    const at = new Date(Date.now() + 1000).toISOString().slice(0, 19);
    const order = { id: 601, number: "601", status: "processing", currency: "DKK", date_created_gmt: at, date_modified_gmt: at, total: "125.00", total_tax: "25.00", billing: { first_name: "A", last_name: "B", email: "a@example.dk", country: "DK" }, line_items: [{ id: 1, name: "T", sku: "SKU-1", quantity: 1, subtotal: "100.00", total: "100.00", total_tax: "25.00", taxes: [{ id: 1, total: "25.00" }] }], shipping_lines: [], tax_lines: [{ id: 3, rate_id: 1, rate_percent: 25 }], fee_lines: [], coupon_lines: [] };
    await postWoo(integration.id, order, "woo-secret");
    expect((await waitForOrder(integration.id, "601")).error.category).toBe("accounting_auth_failed");
    expect((await call("GET", `/api/staff/integrations/${integration.id}`)).json.connection.accounting).toMatchObject({ status: "needs_reconnect", via: "oauth" });

    const page = await b.get(`/integrations/${integration.id}`);
    expect(page.text).toMatch(/id="connection-accounting" data-status="needs_reconnect"/);
    expect(page.text).toContain("Skal forbindes igen");
    expect(page.text).toContain("e-conomic afviser nu adgangen");
    expect(page.text).toMatch(new RegExp(`id="connect-economic" href="/connect/economic/start\\?integrationId=${integration.id}">Forbind e-conomic igen<`));
    expect((await b.get(`/integrations/${integration.id}?lang=en`)).text).toContain("Reconnect e-conomic");

    const again = await connect(b, integration.id);
    expect((await b.get(`${again.back.pathname}${again.back.search}&token=grant-of-the-next-install`)).status).toBe(303);
    expect((await call("GET", `/api/staff/integrations/${integration.id}`)).json.connection.accounting).toMatchObject({ status: "connected", via: "oauth" });
    expect((await b.get(`/integrations/${integration.id}`)).text).toMatch(/id="connection-accounting" data-status="connected"/);
    await postWoo(integration.id, { ...order, id: 602, number: "602" }, "woo-secret");
    expect((await waitForOrder(integration.id, "602")).status).toBe("transferred");
  });
});
