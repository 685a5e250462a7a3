/**
 * Contract probes: the HTTP API against /work/shared/api.md (paths, fields, status codes and error
 * codes are fixed there). Every request goes through the real Worker.
 */
import { describe, expect, it, vi } from "vitest";
import { hmacBase64 } from "../../src/lib/crypto";
import { demoOrder } from "../../src/modules/sandbox/shop";
import { activate, call, createIntegration, createTenant, postShopify, postWoo, waitForOrder, waitImport } from "../helpers";

const sandbox = { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } };
const woo = {
  shop: { module: "woocommerce", settings: { siteUrl: "https://shop.example.com", consumerKey: "ck_1", consumerSecret: "cs_1", webhookSecret: "whsec-woo" } },
  accounting: { module: "sandbox", settings: {} },
};
const shopify = {
  shop: { module: "shopify", settings: { shopDomain: "demo-shop.myshopify.com", accessToken: "shpat_1", webhookSecret: "whsec-shopify" } },
  accounting: { module: "sandbox", settings: {} },
};

/** api.md "Conventions": {"error": {"code", "message", "details"?}}, never a stack trace. */
function expectError(r: { status: number; json: any; text: string }, status: number, code: string) {
  expect(r.status, r.text).toBe(status);
  expect(r.json?.error?.code, r.text).toBe(code);
  expect(typeof r.json.error.message).toBe("string");
  expect(r.json.error.message.length).toBeGreaterThan(0);
  // The shape api.md shows: details is always there (an object, empty when there is nothing to add).
  expect(r.json.error.details, r.text).toEqual(expect.any(Object));
  expect(Array.isArray(r.json.error.details)).toBe(false);
  expect(Object.keys(r.json)).toEqual(["error"]);
  expect(r.text).not.toMatch(/at .*\.(ts|js):\d+/);
}

async function mintKey(scopes: string[]) {
  const r = await call("POST", "/api/staff/keys", { name: `probe ${scopes.join(",")}`, scopes });
  expect(r.status, r.text).toBe(201);
  return r.json as { id: string; name: string; scopes: string[]; token: string };
}

describe("staff API: error body and codes", () => {
  it("401 unauthorized without or with an unknown token", async () => {
    expectError(await call("GET", "/api/staff/plans", undefined, null), 401, "unauthorized");
    expectError(await call("GET", "/api/staff/plans", undefined, "nope"), 401, "unauthorized");
  });

  it("403 forbidden for a key without the scope; a write scope includes read", async () => {
    const reader = await mintKey(["read"]);
    expectError(await call("POST", "/api/staff/tenants", { name: "X", planCode: "basic" }, reader.token), 403, "forbidden");
    expectError(await call("POST", "/api/staff/keys", { name: "k", scopes: ["read"] }, reader.token), 403, "forbidden");
    expectError(await call("POST", "/api/staff/notifications/digest", undefined, reader.token), 403, "forbidden");
    const writer = await mintKey(["imports:write"]);
    expect((await call("GET", "/api/staff/plans", undefined, writer.token)).status).toBe(200);
    expectError(await call("POST", "/api/staff/tenants", { name: "X", planCode: "basic" }, writer.token), 403, "forbidden");
  });

  it("keys: 201 {id, name, scopes, token}; DELETE 204 and the token stops at once; unknown key 404", async () => {
    const k = await mintKey(["read"]);
    expect(Object.keys(k).sort()).toEqual(["id", "name", "scopes", "token"]);
    expect(k.scopes).toEqual(["read"]);
    expect((await call("GET", "/api/staff/plans", undefined, k.token)).status).toBe(200);
    const del = await call("DELETE", `/api/staff/keys/${k.id}`);
    expect(del.status).toBe(204);
    expectError(await call("GET", "/api/staff/plans", undefined, k.token), 401, "unauthorized");
    expectError(await call("DELETE", "/api/staff/keys/key_nope"), 404, "not_found");
    expectError(await call("POST", "/api/staff/keys", { name: "k", scopes: ["everything"] }), 400, "invalid_request");
  });

  it("404 not_found for every unknown id", async () => {
    const t = await createTenant();
    for (const [method, path, body] of [
      ["GET", "/api/staff/tenants/ten_nope"],
      ["POST", "/api/staff/tenants/ten_nope/users", { email: "a@b.dk", role: "owner" }],
      ["GET", "/api/staff/tenants/ten_nope/usage"],
      ["GET", "/api/staff/tenants/ten_nope/top-up/quote?orders=10"],
      ["POST", "/api/staff/tenants/ten_nope/top-ups", { orders: 10 }],
      ["GET", "/api/staff/tenants/ten_nope/notifications"],
      ["POST", "/api/staff/tenants/ten_nope/integrations", sandbox],
      ["GET", "/api/staff/integrations/int_nope"],
      ["PATCH", "/api/staff/integrations/int_nope", { shop: { settings: {} } }],
      ["POST", "/api/staff/integrations/int_nope/activate"],
      ["POST", "/api/staff/integrations/int_nope/deactivate"],
      ["GET", "/api/staff/integrations/int_nope/orders"],
      ["GET", "/api/staff/integrations/int_nope/orders/1"],
      ["POST", "/api/staff/integrations/int_nope/orders/1/transfer-again"],
      ["POST", "/api/staff/integrations/int_nope/orders/1/refunds/1/transfer-again"],
      ["POST", "/api/staff/imports/quote", { integrationId: "int_nope", fromDate: "2025-01-01", estimatedOrders: 1 }],
      ["POST", "/api/staff/imports", { integrationId: "int_nope", fromDate: "2025-01-01", estimatedOrders: 1 }],
      ["GET", "/api/staff/imports/imp_nope"],
      ["GET", "/api/staff/imports/imp_nope/errors"],
      ["PATCH", "/api/staff/imports/imp_nope", { estimatedOrders: 3 }],
      ["POST", "/api/staff/imports/imp_nope/preflight"],
      ["POST", "/api/staff/imports/imp_nope/test-transfer"],
      ["POST", "/api/staff/imports/imp_nope/approve", { note: "ok" }],
      ["POST", "/api/staff/imports/imp_nope/start"],
      ["POST", "/api/staff/imports/imp_nope/pause"],
      ["POST", "/api/staff/imports/imp_nope/resume"],
      ["POST", "/api/staff/imports/imp_nope/cancel"],
      ["POST", "/api/staff/imports/imp_nope/time", { minutes: 5, note: "n" }],
      ["POST", "/api/staff/imports/imp_nope/offers", { halfHours: 1 }],
      ["GET", "/api/staff/no-such-endpoint"],
    ] as [string, string, unknown?][])
      expectError(await call(method, path, body), 404, "not_found");
    const i = await createIntegration(t.id, sandbox);
    expectError(await call("GET", `/api/staff/integrations/${i.id}/orders/999`), 404, "not_found");
    expectError(await call("POST", `/api/staff/integrations/${i.id}/orders/999/transfer-again`), 404, "not_found");
    expectError(await call("POST", `/api/staff/integrations/${i.id}/orders/999/refunds/5/transfer-again`), 404, "not_found");
  });

  it("400 invalid_request with the validation issues in details; 415 for a body that is not JSON", async () => {
    const t = await createTenant();
    const bad = await call("POST", "/api/staff/tenants", { name: "" });
    expectError(bad, 400, "invalid_request");
    expect(Array.isArray(bad.json.error.details?.issues)).toBe(true);
    expectError(await call("POST", "/api/staff/tenants", { name: "X", planCode: "nope" }), 400, "invalid_request");
    expectError(await call("POST", `/api/staff/tenants/${t.id}/users`, { email: "not-an-email", role: "owner" }), 400, "invalid_request");
    expectError(await call("POST", `/api/staff/tenants/${t.id}/users`, { email: "a@b.dk", role: "admin" }), 400, "invalid_request");
    expectError(await call("GET", `/api/staff/tenants/${t.id}/usage?month=2025-13`), 400, "invalid_request");
    expectError(await call("GET", `/api/staff/tenants/${t.id}/usage?month=2025-1`), 400, "invalid_request");
    expectError(await call("GET", `/api/staff/tenants/${t.id}/top-up/quote?orders=abc`), 400, "invalid_request");
    expectError(await call("POST", `/api/staff/tenants/${t.id}/top-ups`, { orders: "ten" }), 400, "invalid_request");
    expectError(await call("POST", `/api/staff/tenants/${t.id}/integrations`, { shop: { module: "nope", settings: {} }, accounting: sandbox.accounting }), 400, "invalid_request");
    expectError(await call("PUT", "/api/staff/plans/basic", { name: "Basic" }), 400, "invalid_request");
    expectError(await call("PUT", "/api/staff/prices", { topUpTiers: [{ minOrders: 5, unitPrice: 100 }], technicianHalfHourPrice: 1 }), 400, "invalid_request");
    expectError(await call("POST", "/api/staff/tenants", "name=X", BOOTSTRAP_TOKEN, { "content-type": "text/plain" }), 415, "unsupported_media_type");
    expectError(await call("POST", "/api/staff/tenants", "{not json"), 400, "invalid_request");
  });

  it("409 user_exists for an email already invited; 201 {userId, inviteUrl}", async () => {
    const t = await createTenant();
    const r = await call("POST", `/api/staff/tenants/${t.id}/users`, { email: "dup@shop.dk", role: "member" });
    expect(r.status).toBe(201);
    expect(Object.keys(r.json).sort()).toEqual(["inviteUrl", "userId"]);
    expectError(await call("POST", `/api/staff/tenants/${t.id}/users`, { email: "dup@shop.dk", role: "owner" }), 409, "user_exists");
  });
});

const BOOTSTRAP_TOKEN = "test-bootstrap-token";

describe("lists: limit and cursor", () => {
  it("a non-number limit is 400; a bad cursor is 400; an empty list is {items: [], nextCursor: null}", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, sandbox);
    for (const path of [`/api/staff/integrations/${i.id}/orders`, `/api/staff/tenants/${t.id}/notifications`]) {
      expectError(await call("GET", `${path}?limit=abc`), 400, "invalid_request");
      expectError(await call("GET", `${path}?cursor=%%%`), 400, "invalid_request");
      const ok = await call("GET", `${path}?limit=5000`);
      expect(ok.status, ok.text).toBe(200);
      expect(ok.json).toEqual({ items: [], nextCursor: null });
    }
    expectError(await call("GET", `/api/staff/integrations/${i.id}/orders?status=done`), 400, "invalid_request");
  });
});

describe("integrations: view, connection, activation", () => {
  it("a webhook shop: inactive, startAt null, webhookUrl, secrets ********, connection per side", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, woo);
    expect(i).toMatchObject({ tenantId: t.id, status: "inactive", activatedAt: null, startAt: null, webhookUrl: `https://orderbridge.test/webhooks/woocommerce/${i.id}` });
    expect(typeof i.createdAt).toBe("string");
    expect(i.shop.module).toBe("woocommerce");
    expect(i.shop.settings).toMatchObject({ consumerKey: "********", consumerSecret: "********", webhookSecret: "********", allowedStatuses: ["processing", "completed", "refunded"] });
    expect(i.connection.shop).toMatchObject({ status: "connected", via: "credentials" });
    expect(["connected", "needs_reconnect", "not_connected"]).toContain(i.connection.accounting.status);
    const got = await call("GET", `/api/staff/integrations/${i.id}`);
    expect(got.json.connection).toEqual(i.connection);
    const a = await activate(i.id);
    expect(Object.keys(a).sort()).toEqual(["activatedAt", "startAt", "status"]);
    expect(a.startAt).toBe(a.activatedAt);
    expect((await call("POST", `/api/staff/integrations/${i.id}/deactivate`, {})).json).toEqual({ status: "inactive" });
    const again = await activate(i.id);
    expect(again.startAt).toBe(a.startAt);
  });

  it("a typed-credential shop without its secrets is not_connected", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, { shop: { module: "woocommerce", settings: { siteUrl: "https://shop.example.com" } }, accounting: sandbox.accounting });
    expect(i.connection.shop.status).toBe("not_connected");
  });

  it("a polled shop: startAt is its creation; webhookUrl null", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, sandbox);
    expect(i.startAt).toBe(i.createdAt);
    expect(i.webhookUrl).toBeNull();
  });
});

describe("module settings (accounting)", () => {
  it("economic: defaults, customerMode collective needs collectiveCustomerNumber, unknown values 400", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, { shop: sandbox.shop, accounting: { module: "economic", settings: { layoutNumber: 19 } } });
    expect(i.accounting.settings).toMatchObject({ layoutNumber: 19, documentType: "draft", autoCreateProducts: false, allowDraftUpdates: true, creditRefunds: true, customerMode: "per_customer" });
    const act = await call("POST", `/api/staff/integrations/${i.id}/activate`);
    expectError(act, 422, "settings_incomplete");
    expect(act.json.error.details.missing).toEqual(
      expect.arrayContaining(["accounting.agreementGrantToken", "accounting.paymentTermsNumber", "accounting.customerGroupNumber", "accounting.shippingProductNumber"]),
    );
    expect(act.json.error.details.missing).not.toContain("accounting.layoutNumber");
    expect(act.json.error.details.missing).not.toContain("accounting.collectiveCustomerNumber");
    const p = await call("PATCH", `/api/staff/integrations/${i.id}`, { accounting: { settings: { customerMode: "collective", creditRefunds: false } } });
    expect(p.status, p.text).toBe(200);
    expect(p.json.accounting.settings).toMatchObject({ customerMode: "collective", creditRefunds: false });
    expect((await call("POST", `/api/staff/integrations/${i.id}/activate`)).json.error.details.missing).toContain("accounting.collectiveCustomerNumber");
    expectError(await call("PATCH", `/api/staff/integrations/${i.id}`, { accounting: { settings: { customerMode: "shared" } } }), 400, "invalid_request");
    expectError(await call("PATCH", `/api/staff/integrations/${i.id}`, { accounting: { settings: { documentCurrency: "shop" } } }), 400, "invalid_request");
  });

  it("dinero: the missing list names accounting.apiKey, organizationId and the accounts; defaults shown", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, { shop: sandbox.shop, accounting: { module: "dinero", settings: {} } });
    expect(i.accounting.settings).toMatchObject({ documentType: "draft", allowDraftUpdates: true, paymentConditionDays: 0, creditRefunds: true });
    const act = await call("POST", `/api/staff/integrations/${i.id}/activate`);
    expectError(act, 422, "settings_incomplete");
    expect(act.json.error.details.missing).toEqual(expect.arrayContaining(["accounting.apiKey", "accounting.organizationId"]));
    expect(act.json.error.details.missing.some((m: string) => m.startsWith("accounting.accounts"))).toBe(true);
    expect(act.json.error.details.missing).not.toContain("accounting.refreshToken");
    expectError(await call("PATCH", `/api/staff/integrations/${i.id}`, { accounting: { settings: { organizationId: "12ab" } } }), 400, "invalid_request");
  });

  it("billy: autoCreateProducts needs productAccountId and salesTaxRulesetId; defaults shown", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, { shop: sandbox.shop, accounting: { module: "billy", settings: { shippingProductNo: "SHIP", autoCreateProducts: true } } });
    expect(i.accounting.settings).toMatchObject({ documentType: "draft", allowDraftUpdates: true, autoCreateProducts: true, creditRefunds: true });
    const act = await call("POST", `/api/staff/integrations/${i.id}/activate`);
    expectError(act, 422, "settings_incomplete");
    expect(act.json.error.details.missing).toEqual(expect.arrayContaining(["accounting.accessToken", "accounting.productAccountId", "accounting.salesTaxRulesetId"]));
  });

  it("shop documentCurrency: shopify and magento default \"shop\", \"presentment\" accepted, others 400", async () => {
    const t = await createTenant();
    const s = await createIntegration(t.id, shopify);
    expect(s.shop.settings.documentCurrency).toBe("shop");
    expect(s.shop.settings.allowedFinancialStatuses).toEqual(["paid", "partially_paid", "partially_refunded", "refunded"]);
    expect((await call("PATCH", `/api/staff/integrations/${s.id}`, { shop: { settings: { documentCurrency: "presentment" } } })).json.shop.settings.documentCurrency).toBe("presentment");
    expectError(await call("PATCH", `/api/staff/integrations/${s.id}`, { shop: { settings: { documentCurrency: "EUR" } } }), 400, "invalid_request");
    const m = await createIntegration(t.id, { shop: { module: "magento", settings: { baseUrl: "https://magento.example.com" } }, accounting: sandbox.accounting });
    expect(m.shop.settings).toMatchObject({ documentCurrency: "shop", allowedStatuses: ["processing", "complete"] });
  });
});

describe("notifications", () => {
  it("the digest: 202 with an empty body and with {}; a second run sends nothing new", async () => {
    const first = await call("POST", "/api/staff/notifications/digest");
    expect(first.status, first.text).toBe(202);
    const second = await call("POST", "/api/staff/notifications/digest", {});
    expect(second.status, second.text).toBe(202);
    expect(second.json.sent ?? 0).toBe(0);
  });

  it("the list needs read; a key with only imports:write may read it", async () => {
    const t = await createTenant();
    const k = await mintKey(["imports:write"]);
    const r = await call("GET", `/api/staff/tenants/${t.id}/notifications`, undefined, k.token);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ items: [], nextCursor: null });
  });
});

describe("imports: the Import view and its state codes", () => {
  async function readyIntegration() {
    const t = await createTenant();
    const i = await createIntegration(t.id, sandbox);
    await activate(i.id);
    return { t, i };
  }

  it("422 integration_not_ready for an inactive integration", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, sandbox);
    expectError(await call("POST", "/api/staff/imports", { integrationId: i.id, fromDate: "2025-01-01", estimatedOrders: 10 }), 422, "integration_not_ready");
  });

  it("201 draft with every Import field; 409 not_approved, test_transfer_required, invalid_state", async () => {
    const { i } = await readyIntegration();
    const today = new Date().toISOString().slice(0, 10);
    const r = await call("POST", "/api/staff/imports", { integrationId: i.id, fromDate: "2025-01-01", fromOrderNumber: "#1001", estimatedOrders: 10 });
    expect(r.status, r.text).toBe(201);
    const imp = r.json;
    expect(imp).toMatchObject({
      integrationId: i.id,
      status: "draft",
      fromDate: "2025-01-01",
      fromOrderNumber: "#1001",
      estimatedOrders: 10,
      technicianMinutes: 0,
      acceptedHalfHours: 1,
      progress: { found: 0, transferred: 0, failed: 0, skipped: 0, pending: 0, creditNotes: { transferred: 0, failed: 0 } },
      errorsByCategory: {},
      billing: { fromIncluded: expect.any(Number), fromTopUp: expect.any(Number), extraOrders: expect.any(Number), extraOrdersCost: expect.any(Number), technicianHalfHours: 0, technicianCost: 0, total: expect.any(Number), currency: "DKK" },
    });
    expect(imp.toDate <= today).toBe(true);
    expect(typeof imp.id).toBe("string");
    expect(typeof imp.createdAt).toBe("string");
    expect(imp.preflight).toBeUndefined();
    expectError(await call("POST", `/api/staff/imports/${imp.id}/start`), 409, "not_approved");
    expectError(await call("POST", `/api/staff/imports/${imp.id}/approve`, { note: "ok" }), 409, "test_transfer_required");
    for (const a of ["pause", "resume"]) expectError(await call("POST", `/api/staff/imports/${imp.id}/${a}`, {}), 409, "invalid_state");
    const time = await call("POST", `/api/staff/imports/${imp.id}/time`, { minutes: 31, note: "setup" });
    expect(time.status, time.text).toBe(200);
    expect(time.json).toMatchObject({ technicianMinutes: 31, technicianHalfHours: 2, acceptedHalfHours: 1, needsNewOffer: true });
    const offer = await call("POST", `/api/staff/imports/${imp.id}/offers`, { halfHours: 1 });
    expect(offer.status).toBe(200);
    expect(offer.json.acceptedHalfHours).toBe(2);
    const pf = await call("POST", `/api/staff/imports/${imp.id}/preflight`);
    expect(pf.status, pf.text).toBe(202);
    const errors = await call("GET", `/api/staff/imports/${imp.id}/errors`);
    expect(errors.json).toEqual({ items: [] });
    expectError(await call("GET", `/api/staff/imports/${imp.id}/errors?category=nope`), 400, "invalid_request");
    expect((await call("POST", `/api/staff/imports/${imp.id}/cancel`)).status).toBe(200);
    expectError(await call("POST", `/api/staff/imports/${imp.id}/cancel`), 409, "invalid_state");
  });

  it("quote: the fields of R13/R14", async () => {
    const { i } = await readyIntegration();
    const q = await call("POST", "/api/staff/imports/quote", { integrationId: i.id, fromDate: "2025-01-01", estimatedOrders: 250, technicianMinutes: 31 });
    expect(q.status, q.text).toBe(200);
    expect(Object.keys(q.json).sort()).toEqual(
      ["month", "remainingIncluded", "topUpBalance", "fromIncluded", "fromTopUp", "extraOrders", "extraOrderPrice", "extraOrdersCost", "technicianHalfHours", "technicianCost", "total", "currency"].sort(),
    );
    expect(q.json).toMatchObject({ fromIncluded: 200, extraOrders: 50, technicianHalfHours: 2 });
  });
});

describe("webhooks: answers 200/401/404/400/413", () => {
  it("woocommerce", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, woo);
    const order = { id: 1, number: "1", status: "processing", date_modified_gmt: "2026-01-01T00:00:00" };
    expectError(await postWoo("int_nope", order, "whsec-woo"), 404, "not_found");
    expectError(await postWoo(i.id, order, null), 401, "unauthorized");
    expectError(await postWoo(i.id, order, "wrong"), 401, "unauthorized");
    expectError(await postWoo(i.id, "{not json", "whsec-woo"), 400, "invalid_request");
    expect((await postWoo(i.id, order, "whsec-woo")).status).toBe(200);
    expect((await postWoo(i.id, order, "whsec-woo", "product.updated")).status).toBe(200);
    const ping = await call("POST", `/webhooks/woocommerce/${i.id}`, "webhook_id=12", null, { "content-type": "application/x-www-form-urlencoded" });
    expect(ping.status).toBe(200);
    const big = JSON.stringify({ id: 2, pad: "x".repeat(5 * 1024 * 1024 + 10) });
    const r = await call("POST", `/webhooks/woocommerce/${i.id}`, big, null, {
      "content-type": "application/json",
      "x-wc-webhook-topic": "order.created",
      "x-wc-webhook-signature": await hmacBase64("whsec-woo", big),
    });
    expectError(r, 413, "payload_too_large");
    expectError(await call("POST", `/webhooks/magento/${i.id}`, "{}", null), 404, "not_found");
  });

  it("shopify: topics, shop domain 401, other topics 200", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, shopify);
    const order = { id: 450789469, name: "#1001", financial_status: "paid" };
    expectError(await postShopify(i.id, order, "wrong"), 401, "unauthorized");
    expectError(await postShopify(i.id, order, "whsec-shopify", { domain: "other.myshopify.com" }), 401, "unauthorized");
    expectError(await postShopify(i.id, "[1,", "whsec-shopify"), 400, "invalid_request");
    for (const topic of ["orders/create", "orders/updated", "orders/paid", "orders/cancelled", "products/update"])
      expect((await postShopify(i.id, order, "whsec-shopify", { topic })).status, topic).toBe(200);
    expect((await postShopify(i.id, { id: 1, order_id: 450789469, refund_line_items: [] }, "whsec-shopify", { topic: "refunds/create" })).status).toBe(200);
    expect((await postShopify(i.id, { id: 1 }, "whsec-shopify", { topic: "app/uninstalled" })).status).toBe(200);
    expect((await call("GET", `/api/staff/integrations/${i.id}`)).json.connection.shop.status).toBe("needs_reconnect");
  });
});

describe("LedgerEntry and CreditNote through the sandbox", () => {
  const ENTRY_KEYS = ["orderId", "orderNumber", "status", "reason", "error", "document", "source", "importId", "receivedAt", "transferredAt", "currency", "creditNotes"];
  const NOTE_KEYS = ["refundId", "status", "amount", "currency", "document", "error", "receivedAt", "transferredAt"];

  it("a transferred order, its refund as a credit note, the refund's transfer-again: one entry, a new document", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, sandbox);
    await activate(i.id);
    const order = (await call("POST", `/api/staff/integrations/${i.id}/sandbox/orders`, {})).json;
    const e = await waitForOrder(i.id, String(order.id), (x) => x.status === "transferred");
    for (const k of Object.keys(e)) expect([...ENTRY_KEYS, "attempts", "received", "sent"]).toContain(k);
    expect(e).toMatchObject({ orderId: String(order.id), orderNumber: expect.any(String), source: "poll", currency: "DKK", creditNotes: [], document: { type: "draft", number: expect.any(String) } });
    expect(Array.isArray(e.attempts)).toBe(true);
    const list = await call("GET", `/api/staff/integrations/${i.id}/orders?status=transferred`);
    expect(list.json.items).toHaveLength(1);
    for (const k of Object.keys(list.json.items[0])) expect(ENTRY_KEYS).toContain(k);

    expect((await call("POST", `/api/staff/integrations/${i.id}/sandbox/orders/${order.id}/refunds`, { quantity: 1 })).status).toBe(201);
    const withNote = await waitForOrder(i.id, String(order.id), (x) => x.creditNotes.length === 1 && x.creditNotes[0].status === "transferred");
    const note = withNote.creditNotes[0];
    for (const k of Object.keys(note)) expect(NOTE_KEYS).toContain(k);
    expect(note).toMatchObject({ refundId: expect.any(String), amount: 12500, currency: "DKK", document: { type: "draft", number: expect.any(String) }, receivedAt: expect.any(String), transferredAt: expect.any(String) });
    const again = await call("POST", `/api/staff/integrations/${i.id}/orders/${order.id}/refunds/${note.refundId}/transfer-again`);
    expect(again.status, again.text).toBe(202);
    const after = await waitForOrder(i.id, String(order.id), (x) => x.creditNotes[0].status === "transferred" && x.creditNotes[0].document.number !== note.document.number);
    expect(after.creditNotes).toHaveLength(1);
    expect(after.creditNotes[0].refundId).toBe(note.refundId);
    const t2 = await call("POST", `/api/staff/integrations/${i.id}/orders/${order.id}/transfer-again`, {});
    expect(t2.status, t2.text).toBe(202);
  });
});

describe("the import run end to end and the notifications outbox", () => {
  it("preflight, testTransfer, approve, start, completed; import_completed in the outbox with its fields; paging", async () => {
    const t = await createTenant();
    const owner = await call("POST", `/api/staff/tenants/${t.id}/users`, { email: `owner-${crypto.randomUUID()}@shop.dk`, role: "owner" });
    expect(owner.status).toBe(201);
    const i = await createIntegration(t.id, sandbox);
    const earlier = new Date(Date.now() - 3 * 86400_000).toISOString();
    const { env } = await import("cloudflare:workers");
    const dayAgo = new Date(Date.now() - 86400_000).toISOString();
    await env.DB.prepare("UPDATE integrations SET created_at = ?, start_at = ? WHERE id = ?").bind(dayAgo, dayAgo, i.id).run();
    await activate(i.id);
    // Two orders created (and last changed) before the start point (R2): only an import takes them.
    const [o1, o2] = [demoOrder(9001, 9001, { createdAt: earlier }, earlier), demoOrder(9002, 9002, { createdAt: earlier }, earlier)];
    for (const o of [o1, o2])
      await env.DB.prepare("INSERT INTO sandbox_orders (integration_id, id, number, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(i.id, String(o.id), o.id, JSON.stringify(o), earlier, earlier)
        .run();
    const fromDate = earlier.slice(0, 10);
    const imp = (await call("POST", "/api/staff/imports", { integrationId: i.id, fromDate, estimatedOrders: 2 })).json;
    expect((await call("POST", `/api/staff/imports/${imp.id}/preflight`, {})).status).toBe(202);
    const pf = await waitImport(imp.id, (x) => x.preflight?.status === "done", 20_000);
    expect(pf.preflight).toEqual({ status: "done", ordersFound: 2, refundsFound: 0, errorsByCategory: {} });
    const tt = await call("POST", `/api/staff/imports/${imp.id}/test-transfer`);
    expect(tt.status, tt.text).toBe(200);
    expect(tt.json.testTransfer).toMatchObject({ orderId: String(o1.id), status: "transferred", document: { type: "draft", number: expect.any(String) } });
    expect((await call("POST", `/api/staff/imports/${imp.id}/approve`, { note: "customer said yes" })).json.status).toBe("approved");
    const started = await call("POST", `/api/staff/imports/${imp.id}/start`);
    expect(started.status, started.text).toBe(202);
    expect(started.json.status).toBe("running");
    const done = await waitImport(imp.id, (x) => x.status === "completed", 30_000);
    expect(done.progress).toMatchObject({ found: 2, transferred: 2, failed: 0, skipped: 0, pending: 0, creditNotes: { transferred: 0, failed: 0 } });
    expect(typeof done.startedAt).toBe("string");
    expect(typeof done.completedAt).toBe("string");
    const e2 = await waitForOrder(i.id, String(o2.id));
    expect(e2).toMatchObject({ source: "import", importId: imp.id, status: "transferred" });

    const list = await vi.waitFor(async () => {
      const r = await call("GET", `/api/staff/tenants/${t.id}/notifications`);
      if (!r.json.items.some((n: any) => n.kind === "import_completed" && n.status === "sent")) throw new Error(r.text);
      return r.json;
    });
    const n = list.items.find((x: any) => x.kind === "import_completed");
    expect(n).toMatchObject({ id: expect.any(String), kind: "import_completed", to: owner.json && expect.stringContaining("@shop.dk"), subject: expect.any(String), status: "sent", importId: imp.id, createdAt: expect.any(String), sentAt: expect.any(String) });
    // Paging: limit=1 gives a cursor while more exist, null on the last page.
    await call("POST", `/api/staff/imports/${imp.id}/time`, { minutes: 1, note: "n" });
    const total = list.items.length;
    let cursor: string | null = null;
    const seen: string[] = [];
    do {
      const r: any = await call("GET", `/api/staff/tenants/${t.id}/notifications?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(r.json.items.length).toBeLessThanOrEqual(1);
      seen.push(...r.json.items.map((x: any) => x.id));
      cursor = r.json.nextCursor;
    } while (cursor);
    expect(seen.length).toBeGreaterThanOrEqual(total);
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe("query parameters left empty, as api.md writes them (`?status=&limit=&cursor=`)", () => {
  it("an empty status, category, limit or cursor is the default, not a 400", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, sandbox);
    const orders = await call("GET", `/api/staff/integrations/${i.id}/orders?status=&limit=&cursor=`);
    expect(orders.status, orders.text).toBe(200);
    expect(orders.json).toEqual({ items: [], nextCursor: null });
    const notes = await call("GET", `/api/staff/tenants/${t.id}/notifications?limit=&cursor=`);
    expect(notes.status, notes.text).toBe(200);
    // `?month=YYYY-MM` is written with its value: an empty month stays a 400 (test/account-routes.test.ts).
    await activate(i.id);
    const imp = (await call("POST", "/api/staff/imports", { integrationId: i.id, fromDate: "2025-01-01", estimatedOrders: 1 })).json;
    const errors = await call("GET", `/api/staff/imports/${imp.id}/errors?category=`);
    expect(errors.status, errors.text).toBe(200);
  });

  it("a required body that is missing is 400, never 500", async () => {
    for (const [method, path] of [
      ["POST", "/api/staff/tenants"],
      ["POST", "/api/staff/keys"],
      ["PUT", "/api/staff/prices"],
      ["POST", "/api/staff/imports"],
      ["POST", "/api/staff/imports/quote"],
    ]) {
      const r = await call(method, path, "", BOOTSTRAP_TOKEN, { "content-type": "application/json" });
      expectError(r, 400, "invalid_request");
      const n = await call(method, path, "null");
      expectError(n, 400, "invalid_request");
      const a = await call(method, path, "[]");
      expectError(a, 400, "invalid_request");
    }
  });
});

describe("the OpenAPI document", () => {
  it("is served without auth and names the list parameters", async () => {
    const r = await call("GET", "/api/staff/openapi.json", undefined, null);
    expect(r.status, r.text.slice(0, 300)).toBe(200);
    const list = r.json.paths["/integrations/{id}/orders"].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(["status", "limit", "cursor"]));
    expect(r.json.paths["/tenants/{id}/notifications"]).toBeDefined();
    expect(r.json.paths["/notifications/digest"]).toBeDefined();
  });
});

describe("list paging: default 50, clamped to 200, newest first, cursor to the end", () => {
  it("the ledger with 230 entries", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, sandbox);
    const { env } = await import("cloudflare:workers");
    const base = Date.parse("2026-01-01T00:00:00Z");
    const rows = Array.from({ length: 230 }, (_, n) =>
      env.DB.prepare("INSERT INTO ledger (id, integration_id, tenant_id, shop_order_id, order_number, status, reason, source, received_at, updated_at) VALUES (?, ?, ?, ?, ?, 'skipped', 'before_start', 'poll', ?, ?)").bind(
        `led_probe_${n}`,
        i.id,
        t.id,
        String(1000 + n),
        String(1000 + n),
        new Date(base + n * 1000).toISOString(),
        new Date(base + n * 1000).toISOString(),
      ),
    );
    await env.DB.batch(rows);
    const path = `/api/staff/integrations/${i.id}/orders`;
    const first = await call("GET", path);
    expect(first.json.items).toHaveLength(50);
    expect(first.json.items[0].orderId).toBe("1229");
    expect(typeof first.json.nextCursor).toBe("string");
    const big = await call("GET", `${path}?limit=1000`);
    expect(big.json.items).toHaveLength(200);
    const rest = await call("GET", `${path}?limit=200&cursor=${encodeURIComponent(big.json.nextCursor)}`);
    expect(rest.json.items.map((e: { orderId: string }) => e.orderId)).toEqual(Array.from({ length: 30 }, (_, n) => String(1029 - n)));
    expect(rest.json.nextCursor).toBeNull();
    expect((await call("GET", `${path}?status=skipped&limit=10`)).json.items.every((e: { status: string; reason: string }) => e.status === "skipped" && e.reason === "before_start")).toBe(true);
  });
});

describe("every staff route: 401 without a token, 403 without its scope (before any validation)", () => {
  const writes: [string, string, string][] = [
    ["POST", "/api/staff/keys", "keys:write"],
    ["DELETE", "/api/staff/keys/key_x", "keys:write"],
    ["PUT", "/api/staff/plans/basic", "tenants:write"],
    ["PUT", "/api/staff/prices", "tenants:write"],
    ["POST", "/api/staff/tenants", "tenants:write"],
    ["POST", "/api/staff/tenants/ten_x/users", "tenants:write"],
    ["POST", "/api/staff/tenants/ten_x/top-ups", "tenants:write"],
    ["POST", "/api/staff/tenants/ten_x/integrations", "integrations:write"],
    ["PATCH", "/api/staff/integrations/int_x", "integrations:write"],
    ["POST", "/api/staff/integrations/int_x/activate", "integrations:write"],
    ["POST", "/api/staff/integrations/int_x/deactivate", "integrations:write"],
    ["POST", "/api/staff/integrations/int_x/orders/1/transfer-again", "integrations:write"],
    ["POST", "/api/staff/integrations/int_x/orders/1/refunds/1/transfer-again", "integrations:write"],
    ["POST", "/api/staff/imports/quote", "imports:write"],
    ["POST", "/api/staff/imports", "imports:write"],
    ["PATCH", "/api/staff/imports/imp_x", "imports:write"],
    ...["preflight", "test-transfer", "approve", "start", "pause", "resume", "cancel", "time", "offers"].map((a) => ["POST", `/api/staff/imports/imp_x/${a}`, "imports:write"] as [string, string, string]),
  ];
  const reads = [
    "/api/staff/plans",
    "/api/staff/tenants/ten_x",
    "/api/staff/tenants/ten_x/usage",
    "/api/staff/tenants/ten_x/top-up/quote?orders=5",
    "/api/staff/tenants/ten_x/notifications",
    "/api/staff/integrations/int_x",
    "/api/staff/integrations/int_x/orders",
    "/api/staff/integrations/int_x/orders/1",
    "/api/staff/imports/imp_x",
    "/api/staff/imports/imp_x/errors",
  ];

  it("401 unauthorized", async () => {
    for (const [method, path] of writes) expectError(await call(method, path, { bad: true }, null), 401, "unauthorized");
    for (const path of reads) expectError(await call("GET", path, undefined, null), 401, "unauthorized");
  });

  it("403 forbidden for a read key, even with an invalid body; the route's own write scope passes the check", async () => {
    const reader = await mintKey(["read"]);
    for (const [method, path] of writes) expectError(await call(method, path, { bad: true }, reader.token), 403, "forbidden");
    for (const [method, path, scope] of writes) {
      const k = await mintKey([scope]);
      const r = await call(method, path, { bad: true }, k.token);
      expect([400, 404], `${method} ${path}: ${r.text}`).toContain(r.status);
    }
    const other = await mintKey(["keys:write"]);
    for (const path of reads) expect((await call("GET", path, undefined, other.token)).status, path).not.toBe(403);
  });
});

describe("creditRefunds: false (R23)", () => {
  it("a refund's credit note is skipped and nothing is sent", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, { shop: sandbox.shop, accounting: { module: "sandbox", settings: { creditRefunds: false } } });
    expect(i.accounting.settings.creditRefunds).toBe(false);
    await activate(i.id);
    const order = (await call("POST", `/api/staff/integrations/${i.id}/sandbox/orders`, {})).json;
    await waitForOrder(i.id, String(order.id), (x) => x.status === "transferred");
    expect((await call("POST", `/api/staff/integrations/${i.id}/sandbox/orders/${order.id}/refunds`, {})).status).toBe(201);
    const e = await waitForOrder(i.id, String(order.id), (x) => x.creditNotes.length === 1 && x.creditNotes[0].status !== "pending" && x.creditNotes[0].status !== "waiting");
    expect(e.creditNotes[0]).toMatchObject({ status: "skipped", amount: expect.any(Number), currency: "DKK" });
    expect(e.creditNotes[0].document).toBeUndefined();
  });
});

describe("PATCH merges settings", () => {
  it("a nested setting (vatZones, accounts) is merged too: the zones not named keep their values", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, { shop: sandbox.shop, accounting: { module: "economic", settings: { vatZones: { domestic: 1 } } } });
    const p = await call("PATCH", `/api/staff/integrations/${i.id}`, { accounting: { settings: { vatZones: { eu: 2 } } } });
    expect(p.status, p.text).toBe(200);
    expect(p.json.accounting.settings.vatZones).toEqual({ domestic: 1, eu: 2 });
    const act = await call("POST", `/api/staff/integrations/${i.id}/activate`);
    expect(act.json.error.details.missing).toContain("accounting.vatZones.abroad");
    expect(act.json.error.details.missing).not.toContain("accounting.vatZones.domestic");
    const d = await createIntegration(t.id, { shop: sandbox.shop, accounting: { module: "dinero", settings: { accounts: { domestic: 1000, eu: 1050 } } } });
    const q = await call("PATCH", `/api/staff/integrations/${d.id}`, { accounting: { settings: { accounts: { abroad: 1050 } } } });
    expect(q.json.accounting.settings.accounts).toEqual({ domestic: 1000, eu: 1050, abroad: 1050 });
    // A list is replaced, not merged.
    const s = await call("PATCH", `/api/staff/integrations/${i.id}`, { shop: { settings: { allowedStatuses: ["completed"] } } });
    expect(s.json.shop.settings.allowedStatuses).toEqual(["completed"]);
  });
});

describe("never a 500 for bad input", () => {
  it("odd JSON bodies and query values on real resources answer 4xx with the error body", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, sandbox);
    await activate(i.id);
    const imp = (await call("POST", "/api/staff/imports", { integrationId: i.id, fromDate: "2025-01-01", estimatedOrders: 1 })).json;
    const routes: [string, string][] = [
      ["POST", "/api/staff/keys"],
      ["PUT", "/api/staff/plans/basic"],
      ["PUT", "/api/staff/prices"],
      ["POST", "/api/staff/tenants"],
      ["POST", `/api/staff/tenants/${t.id}/users`],
      ["POST", `/api/staff/tenants/${t.id}/top-ups`],
      ["POST", `/api/staff/tenants/${t.id}/integrations`],
      ["PATCH", `/api/staff/integrations/${i.id}`],
      ["POST", "/api/staff/imports/quote"],
      ["POST", "/api/staff/imports"],
      ["PATCH", `/api/staff/imports/${imp.id}`],
      ["POST", `/api/staff/imports/${imp.id}/test-transfer`],
      ["POST", `/api/staff/imports/${imp.id}/approve`],
      ["POST", `/api/staff/imports/${imp.id}/time`],
      ["POST", `/api/staff/imports/${imp.id}/offers`],
    ];
    const bodies = ['"text"', "42", "true", '{"shop":{"settings":[]}}', '{"name":{"a":1},"scopes":"read"}', '{"estimatedOrders":-1}', '{"minutes":1.5,"note":"x"}', '{"orderId":""}', '{"topUpTiers":[{"minOrders":1,"unitPrice":-1}],"technicianHalfHourPrice":1}', '{"shop":{"module":"sandbox"},"accounting":{"module":"sandbox","settings":null}}', '{"integrationId":"' + i.id + '","fromDate":"2025-02-30","estimatedOrders":1}'];
    for (const [method, path] of routes)
      for (const body of bodies) {
        const r = await call(method, path, body);
        expect(r.status, `${method} ${path} ${body}: ${r.text}`).toBeLessThan(500);
        if (r.status >= 400) expect(r.json?.error?.code, `${method} ${path} ${body}`).toMatch(/^[a-z_]+$/);
      }
    for (const q of ["limit=1e999", "limit=-3", "limit=2.5", "cursor=" + btoa("[1,2]"), "cursor=" + btoa('["a"]'), "status=FAILED", "category=product_missing"]) {
      const r = await call("GET", `/api/staff/integrations/${i.id}/orders?${q}`);
      expect(r.status, `${q}: ${r.text}`).toBeLessThan(500);
    }
    for (const q of ["orders=", "orders=1.5", "orders=-1", "orders=99999999999"]) expect((await call("GET", `/api/staff/tenants/${t.id}/top-up/quote?${q}`)).status, q).toBe(400);
  });
});

describe("R4 through the webhook", () => {
  it("an inactive integration answers 200 and records the order as skipped integration_inactive, source webhook", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, woo);
    const at = new Date().toISOString();
    const order = demoOrder(7301, 7301, {}, at);
    expect((await postWoo(i.id, order, "whsec-woo")).status).toBe(200);
    const e = await waitForOrder(i.id, "7301");
    expect(e).toMatchObject({ orderId: "7301", orderNumber: "7301", status: "skipped", reason: "integration_inactive", source: "webhook", creditNotes: [] });
    expect((await postWoo(i.id, order, "whsec-woo")).status).toBe(200);
    expect((await call("GET", `/api/staff/integrations/${i.id}/orders`)).json.items).toHaveLength(1);
  });
});
