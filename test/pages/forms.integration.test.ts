import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { topUpQuote } from "../../src/domain/pricing";
import { call, waitForOrder } from "../helpers";
import { Browser, csrfOf, PASSWORD, signedInOwner } from "./helpers";

async function newIntegration(b: Browser, shop: string, accounting: string) {
  const r = await b.submit("/integrations", "/integrations", { name: `${shop} → ${accounting}`, shop, accounting });
  expect(r.status).toBe(303);
  return r.location!.split("/").pop()!;
}

describe("settings page: integration setup", () => {
  it("generates the form from the schemas: required fields marked, secrets write-only, invalid values re-rendered with the typed value", async () => {
    const { b } = await signedInOwner();
    const id = await newIntegration(b, "shopify", "economic");
    const page = await b.get(`/integrations/${id}`);
    expect(page.status).toBe(200);
    for (const f of ["shop.shopDomain", "shop.accessToken", "shop.webhookSecret", "shop.allowedFinancialStatuses", "accounting.layoutNumber", "accounting.vatZones.domestic", "accounting.documentType"])
      expect(page.text, f).toContain(`name="${f}"`);
    expect(page.text).toMatch(/for="f-accounting-layoutNumber">Layout-nummer<code class="setting-key"> layoutNumber<\/code><span class="req"/);
    expect(page.text).toContain(`/webhooks/shopify/${id}`);
    expect(page.text).toContain("Ordrer oprettet fra det tidspunkt, du aktiverer integrationen, overføres.");

    // Invalid: a number that is not a number, a bad shop domain. Typed values stay, errors sit by the fields.
    const bad = await b.post(`/integrations/${id}/settings`, {
      _csrf: csrfOf(page.text),
      "shop.shopDomain": "evil.example.com",
      "accounting.layoutNumber": "nineteen",
      "accounting.paymentTermsNumber": "14",
      "accounting.agreementGrantToken": "grant-should-not-echo",
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('value="evil.example.com"');
    expect(bad.text).toContain('value="nineteen"');
    expect(bad.text).toContain('value="14"');
    expect(bad.text).toMatch(/name="accounting.layoutNumber"[^>]*class="invalid"[^]*?class="field-error"/);
    expect(bad.text).toContain("myshopify.com");
    expect(bad.text).not.toContain("grant-should-not-echo");
    const row = await env.DB.prepare("SELECT shop_settings, accounting_settings, accounting_secrets FROM integrations WHERE id = ?").bind(id).first<Record<string, string | null>>();
    expect(row!.shop_settings).toBe("{}");
    expect(row!.accounting_secrets).toBeNull();

    // Valid: saved; secrets shown only as "set".
    const ok = await b.post(`/integrations/${id}/settings`, {
      _csrf: csrfOf(page.text),
      "shop.shopDomain": "demo-shop.myshopify.com",
      "shop.accessToken": "shpat_very_secret",
      "accounting.layoutNumber": "19",
      "accounting.vatZones.domestic": "1",
      "accounting.agreementGrantToken": "grant-very-secret",
      "shop.allowedFinancialStatuses": ["", "paid", "authorized"],
    });
    expect(ok.status).toBe(303);
    const after = await b.get(ok.location!);
    expect(after.text).toContain("Indstillingerne er gemt.");
    expect(after.text).not.toContain("shpat_very_secret");
    expect(after.text).not.toContain("grant-very-secret");
    expect(after.text).toMatch(/name="shop.accessToken"[^>]*placeholder="\*\*\*\*\*\*\*\* \(sat/);
    expect(after.text).toMatch(/name="shop.webhookSecret"[^>]*placeholder="ikke sat"/);
    expect(after.text).toMatch(/name="shop.allowedFinancialStatuses" value="paid" checked=""\/> Betalt/);
    expect(after.text).toMatch(/name="shop.allowedFinancialStatuses" value="authorized" checked=""\/> Autoriseret/);
    expect(after.text).toMatch(/name="shop.allowedFinancialStatuses" value="refunded"\/> Refunderet/);
    const api = await call("GET", `/api/staff/integrations/${id}`);
    expect(api.json.shop.settings).toMatchObject({ shopDomain: "demo-shop.myshopify.com", accessToken: "********", allowedFinancialStatuses: ["paid", "authorized"] });
    expect(api.json.accounting.settings.layoutNumber).toBe(19);
    // A second nested value keeps the first one (settings merge one level deep).
    await b.post(`/integrations/${id}/settings`, { _csrf: csrfOf(page.text), "accounting.vatZones.eu": "2" });
    expect((await call("GET", `/api/staff/integrations/${id}`)).json.accounting.settings.vatZones).toEqual({ domestic: 1, eu: 2 });

    // Activation refused with R1's missing list, exactly as the staff API lists it.
    const refused = await b.post(`/integrations/${id}/activate`, { _csrf: csrfOf(page.text) });
    expect(refused.status).toBe(422);
    const staffRefused = await call("POST", `/api/staff/integrations/${id}/activate`);
    for (const m of staffRefused.json.error.details.missing) expect(refused.text).toContain(`<li class="mono">${m}</li>`);
    expect(refused.text).toContain("Disse indstillinger mangler");
    expect((await call("GET", `/api/staff/integrations/${id}`)).json.status).toBe("inactive");
  });

  it("activates and deactivates a sandbox integration, with the start point in words; transfer again needs a confirmation", async () => {
    const { b } = await signedInOwner();
    const id = await newIntegration(b, "sandbox", "sandbox");
    const page = await b.get(`/integrations/${id}?lang=en`);
    expect(page.text).toMatch(/Orders created from \d{1,2} \w+ \d{4}/);
    const act = await b.post(`/integrations/${id}/activate`, { _csrf: csrfOf(page.text) });
    expect(act.status).toBe(303);
    const api = (await call("GET", `/api/staff/integrations/${id}`)).json;
    expect(api.status).toBe("active");
    const audit = await env.DB.prepare("SELECT actor FROM audit_log WHERE target_id = ? AND action = 'integration.activate'").bind(id).first<{ actor: string }>();
    expect(audit!.actor).toMatch(/^user:usr_/);

    // The sandbox shop keeps whole seconds: an order in the same second as the start point would be before it.
    await new Promise((r) => setTimeout(r, 1100));
    await call("POST", `/api/staff/integrations/${id}/sandbox/orders`, {});
    const orderId = (await env.DB.prepare("SELECT id FROM sandbox_orders WHERE integration_id = ?").bind(id).first<string>("id"))!;
    const done = await waitForOrder(id, orderId);
    expect(done.status).toBe("transferred");
    const log = await b.get(`/log?integration=${id}&status=transferred`);
    expect(log.text).toContain(`data-order="${orderId}"`);
    expect((await b.get(`/log?integration=${id}&status=failed`)).text).not.toContain(`data-order="${orderId}"`);
    const orderPath = `/integrations/${id}/orders/${orderId}`;
    const order = await b.get(orderPath);
    expect(order.status).toBe(200);
    expect(order.text).toContain("The order as received");
    // Without the confirmation: re-rendered with the error, nothing queued.
    const noConfirm = await b.post(`${orderPath}/transfer-again`, { _csrf: csrfOf(order.text) });
    expect(noConfirm.status).toBe(400);
    expect(noConfirm.text).toContain("Please confirm");
    expect((await call("GET", `/api/staff/integrations/${id}/orders/${orderId}`)).json.status).toBe("transferred");
    const again = await b.post(`${orderPath}/transfer-again`, { _csrf: csrfOf(order.text), confirm: "yes" });
    expect(again.status).toBe(303);
    await waitForOrder(id, orderId, (e) => e.status === "transferred" && e.source === "manual");

    const deact = await b.submit(`/integrations/${id}`, `/integrations/${id}/deactivate`);
    expect(deact.status).toBe(303);
    expect((await call("GET", `/api/staff/integrations/${id}`)).json.status).toBe("inactive");
  });
});

describe("settings page: subscription, imports, users", () => {
  it("the slider's price is topUpQuote's; buying adds to the balance; a bad amount re-renders", async () => {
    const { b, tenantId } = await signedInOwner();
    const tiers = (await call("GET", "/api/staff/plans")).json.topUpTiers;
    const page = await b.get("/subscription");
    expect(page.text).toContain('src="/assets/slider.js"');
    for (const n of [1, 499, 500, 2500]) {
      const q = await b.get(`/subscription/quote?orders=${n}`);
      const json = JSON.parse(q.text);
      const staff = (await call("GET", `/api/staff/tenants/${tenantId}/top-up/quote?orders=${n}`)).json;
      expect(json).toMatchObject({ orders: n, unitPrice: staff.unitPrice, price: staff.price, currency: "DKK" });
      expect(json.price).toBe(topUpQuote(tiers, n).price);
    }
    expect((await b.get("/subscription/quote?orders=abc")).status).toBe(400);
    expect((await new Browser().get("/subscription/quote?orders=5")).status).toBe(303); // needs a session
    const bad = await b.post("/subscription/top-up", { _csrf: csrfOf(page.text), orders: "-3" });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("helt tal");
    const buy = await b.post("/subscription/top-up", { _csrf: csrfOf(page.text), orders: "500", purchaseId: "web_test1" });
    expect(buy.status).toBe(303);
    // The same form submitted twice buys once.
    await b.post("/subscription/top-up", { _csrf: csrfOf(page.text), orders: "500", purchaseId: "web_test1" });
    expect((await call("GET", `/api/staff/tenants/${tenantId}/usage`)).json.topUpBalance).toBe(500);
    expect((await b.get(buy.location!)).text).toContain("Købt: 500 ordrer");
  });

  it("lists imports with progress and lets the customer approve the test transfer (R15)", async () => {
    const { b, tenantId, userId } = await signedInOwner();
    const id = await newIntegration(b, "sandbox", "sandbox");
    const now = new Date().toISOString();
    const importId = `imp_${crypto.randomUUID().slice(0, 12)}`;
    await env.DB.prepare(
      `INSERT INTO imports (id, tenant_id, integration_id, status, from_date, to_date, estimated_orders, accepted_half_hours, created_at, test_transfer)
       VALUES (?, ?, ?, 'draft', '2026-01-01', '2026-02-01', 10, 1, ?, NULL)`,
    ).bind(importId, tenantId, id, now).run();
    const list = await b.get("/imports");
    expect(list.text).toContain(`data-import="${importId}"`);
    expect(list.text).toContain("<progress");
    let page = await b.get(`/imports/${importId}`);
    expect(page.text).toContain("Der er endnu ingen testoverførsel");
    expect(page.text).not.toContain(`/imports/${importId}/approve`);
    // Without a successful test transfer the service refuses: shown as an error, nothing changes.
    const early = await b.post(`/imports/${importId}/approve`, { _csrf: csrfOf(page.text), note: "ok", accept: "yes" });
    expect(early.status).toBe(409);
    await env.DB.prepare("UPDATE imports SET test_transfer = ? WHERE id = ?").bind(JSON.stringify({ orderId: "1", status: "transferred", document: { type: "draft", number: "7" } }), importId).run();
    page = await b.get(`/imports/${importId}`);
    expect(page.text).toContain(`action="/imports/${importId}/approve"`);
    const ok = await b.post(`/imports/${importId}/approve`, { _csrf: csrfOf(page.text), note: "Looks right", accept: "yes" });
    expect(ok.status).toBe(303);
    const row = await env.DB.prepare("SELECT status, approval FROM imports WHERE id = ?").bind(importId).first<Record<string, string>>();
    expect(row!.status).toBe("approved");
    expect(JSON.parse(row!.approval)).toMatchObject({ by: "customer", actor: `user:${userId}`, note: "Looks right" });
  });

  it("the owner invites a colleague (bad email re-rendered with the typed value) who can then sign in", async () => {
    const { b } = await signedInOwner();
    const page = await b.get("/users");
    const bad = await b.post("/users", { _csrf: csrfOf(page.text), email: "not-an-email", role: "member" });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('value="not-an-email"');
    expect(bad.text).toContain("gyldig e-mail");
    const email = `c${crypto.randomUUID().slice(0, 6)}@shop.example`;
    const ok = await b.post("/users", { _csrf: csrfOf(page.text), email, role: "member" });
    expect(ok.status).toBe(201);
    const url = ok.text.match(/id="invite-url">([^<]+)</)![1];
    const c = new Browser();
    const path = new URL(url).pathname;
    const inv = await c.get(path);
    expect((await c.post(path, { _csrf: csrfOf(inv.text), password: PASSWORD, password2: PASSWORD })).status).toBe(303);
    expect((await c.get("/home")).status).toBe(200);
    expect((await b.get("/users")).text).toContain(email);
  });
});
