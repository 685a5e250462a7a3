import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decryptSecret } from "../../src/lib/crypto";
import { setOutboundFetch } from "../../src/lib/outbound";
import { FakeDinero } from "../fakes/dinero";
import shopifyDk from "../fixtures/shopify/own-dk-25-taxes-included-discount-shipping.json";
import { activate, call, createIntegration, waitForOrder } from "../helpers";
import { Browser, signedInOwner } from "../pages/helpers";
import { delivery, runBatch, soon } from "../transfers/transfer-helpers";

let fake: FakeDinero;
beforeEach(() => {
  fake = new FakeDinero();
  setOutboundFetch(fake.fetch);
});
afterEach(() => setOutboundFetch());

const accounts = { domestic: 1000, eu: 1100, abroad: 1050 };
const CALLBACK = "https://orderbridge.test/connect/dinero/callback";

async function ownerWithIntegration(role: "owner" | "member" = "owner", accounting: Record<string, unknown> = { organizationId: fake.organizationId, accounts }) {
  const owner = await signedInOwner({ role });
  const i = await createIntegration(owner.tenantId, {
    shop: { module: "shopify", settings: { shopDomain: "demo-shop.myshopify.com", accessToken: "shpat", webhookSecret: "shp-secret" } },
    accounting: { module: "dinero", settings: accounting },
  });
  return { ...owner, integration: i };
}

/** Presses Connect Dinero: the authorize URL Visma Connect is sent. */
async function start(b: Browser, integrationId: string) {
  const r = await b.get(`/connect/dinero/start?integrationId=${integrationId}`);
  expect(r.status).toBe(302);
  const url = new URL(r.location!);
  expect(url.origin + url.pathname).toBe("https://connect.visma.fake/connect/authorize");
  expect(Object.fromEntries(url.searchParams)).toMatchObject({
    client_id: "isv_test-dinero-client",
    response_type: "code",
    response_mode: "form_post",
    scope: "dineropublicapi:read dineropublicapi:write offline_access",
    redirect_uri: CALLBACK,
  });
  return url.searchParams.get("state")!;
}

/** Visma Connect posts the form back cross-site: a browser without the session's cookie. */
const callback = (form: Record<string, string>) => new Browser().post("/connect/dinero/callback", form);

describe("Dinero connect through Visma Connect (R26)", () => {
  it("Connect → approve → the refresh token is stored encrypted, the connection names the organization, and orders flow with a refreshed token", async () => {
    const { b, integration } = await ownerWithIntegration();
    expect((await call("GET", `/api/staff/integrations/${integration.id}`)).json.connection.accounting).toEqual({ status: "not_connected" });
    const state = await start(b, integration.id);
    const done = await callback({ code: fake.issueCode(), state });
    expect(done.status).toBe(303);
    expect(done.location).toBe(`/integrations/${integration.id}`);

    const view = (await call("GET", `/api/staff/integrations/${integration.id}`)).json;
    expect(view.connection.accounting).toMatchObject({ status: "connected", via: "oauth", account: `Testbutikken ApS (${fake.organizationId})` });
    expect(view.accounting.settings).toMatchObject({ refreshToken: "********", organizationName: "Testbutikken ApS" });
    const row = await env.DB.prepare("SELECT tenant_id, accounting_secrets FROM integrations WHERE id = ?").bind(integration.id).first<{ tenant_id: string; accounting_secrets: string }>();
    expect(row!.accounting_secrets).not.toContain("refresh-");
    const secrets = JSON.parse(await decryptSecret(env.ENCRYPTION_KEY, row!.accounting_secrets, `orderbridge:${row!.tenant_id}:${integration.id}:accounting`));
    expect(fake.refreshTokenValid(secrets.refreshToken)).toBe(true);

    // No API key typed: the connection completes the settings.
    await activate(integration.id);
    const first = { ...shopifyDk, id: 98001, created_at: soon(), updated_at: soon() };
    await runBatch([{ body: delivery(integration.id, first) }]);
    expect((await waitForOrder(integration.id, "98001")).status).toBe("transferred");
    // The stored refresh token was used once; Visma's new one is kept and serves the next refresh.
    expect(fake.refreshTokenValid(secrets.refreshToken)).toBe(false);
    fake.expireTokens();
    const second = { ...shopifyDk, id: 98002, created_at: soon(), updated_at: soon() };
    await runBatch([{ body: delivery(integration.id, second) }]);
    const entry = await waitForOrder(integration.id, "98002");
    expect(entry.status, JSON.stringify(entry.error)).toBe("transferred");
    expect(fake.invoices).toHaveLength(2);
    expect(fake.log.filter((r) => r.host === "connect.visma.fake").map((r) => (r.body as Record<string, string>).grant_type)).toEqual(["authorization_code", "refresh_token", "refresh_token"]);
  });

  it("without an organization id, the only organization the sign-in reaches is taken", async () => {
    const { b, integration } = await ownerWithIntegration("owner", { accounts });
    const done = await callback({ code: fake.issueCode(), state: await start(b, integration.id) });
    expect(done.status).toBe(303);
    expect((await call("GET", `/api/staff/integrations/${integration.id}`)).json.accounting.settings.organizationId).toBe(fake.organizationId);
  });

  it("a state is single use; a forged state, a refused code or an organization the sign-in does not reach stores nothing", async () => {
    const { b, integration } = await ownerWithIntegration();
    const state = await start(b, integration.id);
    expect((await callback({ code: fake.issueCode(), state: "forged-state-value-123456" })).status).toBe(400);
    const refused = await callback({ code: "not-a-code-visma-issued", state });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("Dinero afviste forbindelsen");
    // The state was used by the refused attempt.
    expect((await callback({ code: fake.issueCode(), state })).status).toBe(400);

    const other = await ownerWithIntegration("owner", { organizationId: "999", accounts });
    const wrongOrg = await callback({ code: fake.issueCode(), state: await start(other.b, other.integration.id) });
    expect(wrongOrg.status).toBe(400);
    expect(wrongOrg.text).toContain("999");
    for (const id of [integration.id, other.integration.id]) {
      const view = (await call("GET", `/api/staff/integrations/${id}`)).json;
      expect(view.connection.accounting.status).toBe("not_connected");
      expect(view.accounting.settings.refreshToken).toBeUndefined();
    }
  });

  it("a member is refused (403, no state issued)", async () => {
    const member = await ownerWithIntegration("member");
    expect((await member.b.get(`/connect/dinero/start?integrationId=${member.integration.id}`)).status).toBe(403);
    const states = await env.DB.prepare("SELECT count(*) AS n FROM connect_states WHERE integration_id = ?").bind(member.integration.id).first<{ n: number }>();
    expect(states!.n).toBe(0);
  });

  it("the integration page offers Connect Dinero", async () => {
    const { b, integration } = await ownerWithIntegration();
    const page = await b.get(`/integrations/${integration.id}`);
    expect(page.text).toContain(`/connect/dinero/start?integrationId=${integration.id}`);
    expect(page.text).toContain("Forbind Dinero");
  });
});
