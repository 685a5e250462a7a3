import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { decryptSecret, encryptSecret } from "../../src/lib/crypto";
import { call, createIntegration, createTenant, economicSettingsComplete } from "../helpers";

const shopify = { shopDomain: "demo-shop.myshopify.com", accessToken: "shpat_secret", webhookSecret: "whsec_1" };

describe("integrations", () => {
  it("creates an inactive integration with secrets redacted and the webhook URL", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, {
      name: "Main shop",
      shop: { module: "shopify", settings: shopify },
      accounting: { module: "economic", settings: economicSettingsComplete },
    });
    expect(i.status).toBe("inactive");
    expect(i.activatedAt).toBeNull();
    expect(i.startAt).toBeNull(); // webhook shop: start point set at first activation (R3)
    expect(i.webhookUrl).toBe(`https://orderbridge.test/webhooks/shopify/${i.id}`);
    expect(i.shop.settings).toEqual({
      shopDomain: "demo-shop.myshopify.com",
      accessToken: "********",
      webhookSecret: "********",
      allowedFinancialStatuses: ["paid", "partially_paid", "partially_refunded", "refunded"],
      documentCurrency: "shop",
    });
    expect(i.accounting.settings.agreementGrantToken).toBe("********");
    expect(i.accounting.settings.documentType).toBe("draft");
    // Secrets are stored only encrypted.
    const row = await env.DB.prepare("SELECT * FROM integrations WHERE id = ?").bind(i.id).first<Record<string, string>>();
    expect(JSON.stringify(row)).not.toContain("shpat_secret");
    expect(JSON.stringify(row)).not.toContain("grant-secret-value");
    const got = await call("GET", `/api/staff/integrations/${i.id}`);
    expect(got.text).not.toContain("shpat_secret");
    // Sending the settings back as shown keeps the stored secrets.
    expect((await call("PATCH", `/api/staff/integrations/${i.id}`, { shop: { settings: got.json.shop.settings } })).status).toBe(200);
    const { integrationSettings, loadIntegration } = await import("../../src/integrations/store");
    const kept = await integrationSettings(env, (await loadIntegration(env, i.id))!);
    expect(kept.shop.accessToken).toBe("shpat_secret");
    expect(kept.shop.webhookSecret).toBe("whsec_1");
  });

  it("refuses unknown modules, unknown fields, wrong types and bad shop domains, writing nothing", async () => {
    const t = await createTenant();
    const before = await env.DB.prepare("SELECT count(*) AS n FROM integrations").first("n");
    const cases = [
      { shop: { module: "nope", settings: {} }, accounting: { module: "economic", settings: {} } },
      { shop: { module: "shopify", settings: { shopDomain: "evil.example.com" } }, accounting: { module: "economic", settings: {} } },
      { shop: { module: "shopify", settings: { tenantId: "x" } }, accounting: { module: "economic", settings: {} } },
      { shop: { module: "shopify", settings: {} }, accounting: { module: "economic", settings: { layoutNumber: "19" } } },
      { shop: { module: "woocommerce", settings: { siteUrl: "http://shop.example.com" } }, accounting: { module: "sandbox", settings: {} } },
      { shop: { module: "woocommerce", settings: { siteUrl: "https://169.254.169.254" } }, accounting: { module: "sandbox", settings: {} } },
      { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} }, status: "active" },
    ];
    for (const body of cases) {
      const r = await call("POST", `/api/staff/tenants/${t.id}/integrations`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
    }
    expect(await env.DB.prepare("SELECT count(*) AS n FROM integrations").first("n")).toBe(before);
    expect((await call("POST", `/api/staff/tenants/nope/integrations`, cases[0])).status).toBe(404);
  });

  it("refuses activation with the exact missing list, then accepts it (R1, R3)", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, {
      shop: { module: "shopify", settings: { shopDomain: "demo-shop.myshopify.com" } },
      accounting: { module: "economic", settings: { layoutNumber: 19, vatZones: { domestic: 1 } } },
    });
    const refused = await call("POST", `/api/staff/integrations/${i.id}/activate`);
    expect(refused.status).toBe(422);
    expect(refused.json.error.code).toBe("settings_incomplete");
    expect(refused.json.error.details.missing.sort()).toEqual(
      [
        "shop.accessToken",
        "shop.webhookSecret",
        "accounting.agreementGrantToken",
        "accounting.paymentTermsNumber",
        "accounting.customerGroupNumber",
        "accounting.vatZones.eu",
        "accounting.vatZones.abroad",
        "accounting.shippingProductNumber",
      ].sort(),
    );
    expect((await call("GET", `/api/staff/integrations/${i.id}`)).json.status).toBe("inactive");
    const other = await createIntegration(t.id, { shop: { module: "sandbox", settings: {} }, accounting: { module: "economic", settings: { autoCreateProducts: true } } });
    const all = await call("POST", `/api/staff/integrations/${other.id}/activate`);
    expect(all.json.error.details.missing).toContain("accounting.productGroupNumber");
    expect(all.json.error.details.missing).toContain("accounting.layoutNumber");

    const patched = await call("PATCH", `/api/staff/integrations/${i.id}`, {
      shop: { settings: { accessToken: "a", webhookSecret: "w" } },
      accounting: { settings: { ...economicSettingsComplete, autoCreateProducts: true } },
    });
    expect(patched.status).toBe(200);
    const stillMissing = await call("POST", `/api/staff/integrations/${i.id}/activate`, {});
    expect(stillMissing.json.error.details.missing).toEqual(["accounting.productGroupNumber"]);
    await call("PATCH", `/api/staff/integrations/${i.id}`, { accounting: { settings: { productGroupNumber: 1 } } });

    const ok = await call("POST", `/api/staff/integrations/${i.id}/activate`, {});
    expect(ok.status).toBe(200);
    expect(ok.json.status).toBe("active");
    expect(ok.json.startAt).toBe(ok.json.activatedAt);
    // Deactivating and activating again does not move the start point.
    expect((await call("POST", `/api/staff/integrations/${i.id}/deactivate`)).json).toEqual({ status: "inactive" });
    const again = await call("POST", `/api/staff/integrations/${i.id}/activate`);
    expect(again.json.startAt).toBe(ok.json.startAt);
    const audit = await env.DB.prepare("SELECT action FROM audit_log WHERE target_id = ? ORDER BY id").bind(i.id).all();
    expect(audit.results.map((r) => r.action)).toEqual([
      "integration.create",
      "integration.patch",
      "integration.patch",
      "integration.activate",
      "integration.deactivate",
      "integration.activate",
    ]);
  });

  it("a polled shop starts at its creation (R2)", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    expect(i.startAt).toBe(i.createdAt);
    expect(i.webhookUrl).toBeNull();
    const ok = await call("POST", `/api/staff/integrations/${i.id}/activate`);
    expect(ok.json.startAt).toBe(i.createdAt);
  });

  it("a changed shop URL drops the stored credentials until they are entered again", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, {
      shop: { module: "woocommerce", settings: { siteUrl: "https://shop.example.com", consumerKey: "ck", consumerSecret: "cs", webhookSecret: "w" } },
      accounting: { module: "sandbox", settings: {} },
    });
    const p = await call("PATCH", `/api/staff/integrations/${i.id}`, { shop: { settings: { siteUrl: "https://other.example.com" } } });
    expect(p.json.shop.settings.consumerKey).toBeUndefined();
    const refused = await call("POST", `/api/staff/integrations/${i.id}/activate`);
    expect(refused.json.error.details.missing).toEqual(["shop.consumerKey", "shop.consumerSecret", "shop.webhookSecret"]);
  });
});

describe("secrets at rest", () => {
  it("round-trips with a fresh IV and fails on a copied ciphertext", async () => {
    const key = env.ENCRYPTION_KEY;
    const a = await encryptSecret(key, "s3cret", "orderbridge:t1:i1:shop");
    const b = await encryptSecret(key, "s3cret", "orderbridge:t1:i1:shop");
    expect(a).not.toBe(b);
    expect(await decryptSecret(key, a, "orderbridge:t1:i1:shop")).toBe("s3cret");
    await expect(decryptSecret(key, a, "orderbridge:t1:i2:shop")).rejects.toThrow();
    await expect(decryptSecret(key, a, "orderbridge:t2:i1:shop")).rejects.toThrow();
  });
});

describe("plans and prices", () => {
  it("has plan basic with 200 included orders and refuses a non-ascending tier table", async () => {
    const plans = await call("GET", "/api/staff/plans");
    expect(plans.json.plans.find((p: { code: string }) => p.code === "basic").includedOrders).toBe(200);
    expect(plans.json.topUpTiers[0].minOrders).toBe(1);
    const bad = await call("PUT", "/api/staff/prices", {
      topUpTiers: [
        { minOrders: 1, unitPrice: 100 },
        { minOrders: 1, unitPrice: 90 },
      ],
      technicianHalfHourPrice: 1,
    });
    expect(bad.status).toBe(400);
    const rising = await call("PUT", "/api/staff/prices", {
      topUpTiers: [
        { minOrders: 1, unitPrice: 100 },
        { minOrders: 10, unitPrice: 110 },
      ],
      technicianHalfHourPrice: 1,
    });
    expect(rising.status).toBe(400);
    expect((await call("GET", "/api/staff/plans")).json.topUpTiers).toEqual(plans.json.topUpTiers);
    const put = await call("PUT", "/api/staff/plans/gold", { name: "Gold", includedOrders: 3000, monthlyPrice: 99900, extraOrderPrice: 80 });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ code: "gold", includedOrders: 3000, currency: "DKK" });
  });

  it("invites a user with a link", async () => {
    const t = await createTenant();
    const r = await call("POST", `/api/staff/tenants/${t.id}/users`, { email: "Owner@Shop.dk", role: "owner" });
    expect(r.status).toBe(201);
    expect(r.json.inviteUrl).toMatch(/^https:\/\/orderbridge\.test\/invite\/[\w-]{20,}$/);
    const dup = await call("POST", `/api/staff/tenants/${t.id}/users`, { email: "owner@shop.dk", role: "member" });
    expect(dup.status).toBe(409);
    expect((await call("POST", `/api/staff/tenants/${t.id}/users`, { email: "not-an-email", role: "owner" })).status).toBe(400);
  });
});
