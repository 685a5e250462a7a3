import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hmacBase64 } from "../../src/lib/crypto";
import shopifyDk from "../fixtures/shopify/own-dk-25-taxes-included-discount-shipping.json";
import { activate, call, createIntegration, createTenant, ledgerRows, postShopify, waitForOrder } from "../helpers";

const APP_SECRET = "test-shopify-app-secret";

async function postCompliance(topic: string, payload: unknown, secret = APP_SECRET) {
  const body = JSON.stringify(payload);
  return call("POST", "/webhooks/shopify/compliance", body, null, {
    "content-type": "application/json",
    "x-shopify-topic": topic,
    "x-shopify-hmac-sha256": await hmacBase64(secret, body),
    "x-shopify-shop-domain": (payload as { shop_domain?: string }).shop_domain ?? "",
  });
}

/** A Shopify shop → sandbox accounting integration with two transferred orders of two customers. */
async function shopWithTwoCustomers(domain: string) {
  const t = await createTenant();
  const i = await createIntegration(t.id, {
    shop: { module: "shopify", settings: { shopDomain: domain, accessToken: "shpat", webhookSecret: "shp-secret" } },
    accounting: { module: "sandbox", settings: {} },
  });
  await activate(i.id);
  const at = new Date(Date.now() + 1000).toISOString();
  // Products the sandbox accounting system knows, so both orders are transferred and a document is sent.
  const lines = shopifyDk.line_items.map((l, n) => ({ ...l, sku: `SKU-${n + 1}` }));
  const a = { ...shopifyDk, line_items: lines, id: 9001, name: "#9001", created_at: at, updated_at: at, email: "anna@example.dk", customer: { id: 71, email: "anna@example.dk", first_name: "Anna" } };
  const b = { ...shopifyDk, line_items: lines, id: 9002, name: "#9002", created_at: at, updated_at: at, email: "bo@example.dk", customer: { id: 72, email: "bo@example.dk", first_name: "Bo" } };
  for (const o of [a, b]) expect((await postShopify(i.id, o, "shp-secret", { domain })).status).toBe(200);
  for (const o of [a, b]) expect((await waitForOrder(i.id, String(o.id))).status).toBe("transferred");
  return { tenant: t, integration: i };
}

const byOrder = async (integrationId: string) => Object.fromEntries((await ledgerRows(integrationId)).map((r) => [r.shop_order_id, r]));

describe("Shopify compliance webhooks (R27)", () => {
  it("customers/redact removes that customer's personal data from the stored copies, and only theirs", async () => {
    const domain = `redact-${crypto.randomUUID().slice(0, 8)}.myshopify.com`;
    const { integration } = await shopWithTwoCustomers(domain);
    const before = await byOrder(integration.id);
    expect(before["9001"].received).toContain("anna@example.dk");
    expect(before["9001"].sent).toContain("anna@example.dk");

    const r = await postCompliance("customers/redact", { shop_id: 1, shop_domain: domain, customer: { id: 71, email: "anna@example.dk", phone: null }, orders_to_redact: [9001] });
    expect(r.status).toBe(200);
    expect(r.json.ordersRedacted).toBe(1);

    const after = await byOrder(integration.id);
    for (const field of ["received", "sent"]) {
      expect(after["9001"][field]).not.toContain("anna@example.dk");
      expect(after["9001"][field]).not.toContain("Anna");
    }
    const received = JSON.parse(after["9001"].received);
    expect(received).toMatchObject({ id: 9001, email: null, billing_address: null, shipping_address: null, redacted: true });
    // The books' facts stay: amounts, lines, status and the document.
    expect(received.total_price).toBe(shopifyDk.total_price);
    expect(after["9001"]).toMatchObject({ status: "transferred", document_number: before["9001"].document_number });
    // The other customer's order is untouched.
    expect(after["9002"].received).toBe(before["9002"].received);
    // The staff API shows the redacted copy.
    const detail = await call("GET", `/api/staff/integrations/${integration.id}/orders/9001`);
    expect(JSON.stringify(detail.json.received)).not.toContain("anna@example.dk");
    const audit = await env.DB.prepare("SELECT action, details FROM audit_log WHERE target_id = ?").bind(domain).all<{ action: string; details: string }>();
    expect(audit.results.map((a) => a.action)).toEqual(["compliance.customers.redact"]);
    expect(audit.results[0].details).not.toContain("anna@example.dk");
  });

  it("customers/redact also removes the customer's data from the credit notes of their orders (R20 × R27); shop/redact deletes those copies", async () => {
    const domain = `redact-cn-${crypto.randomUUID().slice(0, 8)}.myshopify.com`;
    const { integration } = await shopWithTwoCustomers(domain);
    const refund = {
      id: 5001,
      order_id: 9001,
      created_at: new Date(Date.now() + 2000).toISOString(),
      note: "Anna returned it, call anna@example.dk",
      refund_line_items: [],
      transactions: [{ kind: "refund", status: "success", amount: "10.00", currency: "DKK", receipt: { payer_email: "anna@example.dk" } }],
    };
    expect((await postShopify(integration.id, refund, "shp-secret", { domain, topic: "refunds/create" })).status).toBe(200);
    await waitForOrder(integration.id, "9001", (e) => e.creditNotes?.[0]?.status === "transferred");
    const note = async () => (await env.DB.prepare("SELECT * FROM credit_notes WHERE integration_id = ?").bind(integration.id).first<Record<string, string | null>>())!;
    const before = await note();
    expect(before.sent).toContain("anna@example.dk");
    expect(before.raw).toContain("anna@example.dk");

    await postCompliance("customers/redact", { shop_id: 1, shop_domain: domain, customer: { id: 71, email: "anna@example.dk" }, orders_to_redact: [9001] });
    const after = await note();
    for (const field of ["sent", "raw", "refund"]) {
      expect(after[field]).not.toContain("anna@example.dk");
      expect(after[field]).not.toContain("Anna");
    }
    // The credit note's facts stay: its status, document and what it gave back.
    expect(after).toMatchObject({ status: "transferred", document_number: before.document_number, amount: before.amount, refund: before.refund });
    expect(JSON.parse(after.raw!)).toMatchObject({ id: 5001, transactions: [{ amount: "10.00" }] });

    await postCompliance("shop/redact", { shop_id: 1, shop_domain: domain });
    expect(await note()).toMatchObject({ sent: null, raw: null, status: "transferred", document_number: before.document_number });
  });

  it("finds the customer's orders by customer id when the order list is empty, and a repeat changes nothing more", async () => {
    const domain = `redact2-${crypto.randomUUID().slice(0, 8)}.myshopify.com`;
    const { integration } = await shopWithTwoCustomers(domain);
    const payload = { shop_id: 1, shop_domain: domain, customer: { id: 72, email: "bo@example.dk" }, orders_to_redact: [] };
    expect((await postCompliance("customers/redact", payload)).json.ordersRedacted).toBe(1);
    const once = await byOrder(integration.id);
    expect(once["9002"].received).not.toContain("bo@example.dk");
    await postCompliance("customers/redact", payload);
    expect((await byOrder(integration.id))["9002"].received).toBe(once["9002"].received);
    expect(once["9001"].received).toContain("anna@example.dk");
  });

  it("shop/redact deletes the shop's stored copies; other shops keep theirs", async () => {
    const domain = `gone-${crypto.randomUUID().slice(0, 8)}.myshopify.com`;
    const other = `kept-${crypto.randomUUID().slice(0, 8)}.myshopify.com`;
    const { integration } = await shopWithTwoCustomers(domain);
    const { integration: kept } = await shopWithTwoCustomers(other);
    expect((await postCompliance("shop/redact", { shop_id: 1, shop_domain: domain })).status).toBe(200);
    for (const row of await ledgerRows(integration.id)) {
      expect(row.received).toBeNull();
      expect(row.sent).toBeNull();
      expect(row.status).toBe("transferred");
    }
    for (const row of await ledgerRows(kept.id)) expect(row.received).not.toBeNull();
  });

  it("customers/data_request is recorded for staff", async () => {
    const domain = `ask-${crypto.randomUUID().slice(0, 8)}.myshopify.com`;
    const { tenant } = await shopWithTwoCustomers(domain);
    const r = await postCompliance("customers/data_request", { shop_id: 1, shop_domain: domain, orders_requested: [9001], customer: { id: 71, email: "anna@example.dk" }, data_request: { id: 555 } });
    expect(r.status).toBe(200);
    const row = await env.DB.prepare("SELECT tenant_id, details FROM audit_log WHERE target_id = ? AND action = 'compliance.customers.data_request'").bind(domain).first<{ tenant_id: string; details: string }>();
    expect(row?.tenant_id).toBe(tenant.id);
    expect(JSON.parse(row!.details)).toMatchObject({ customerId: 71, ordersRequested: [9001], dataRequestId: 555 });
  });

  it("a bad signature is 401 and changes nothing; a body that is not JSON is 400", async () => {
    const domain = `evil-${crypto.randomUUID().slice(0, 8)}.myshopify.com`;
    const { integration } = await shopWithTwoCustomers(domain);
    const before = await byOrder(integration.id);
    const forged = await postCompliance("shop/redact", { shop_id: 1, shop_domain: domain }, "not-the-app-secret");
    expect(forged.status).toBe(401);
    const unsigned = await call("POST", "/webhooks/shopify/compliance", JSON.stringify({ shop_domain: domain }), null, { "content-type": "application/json", "x-shopify-topic": "shop/redact" });
    expect(unsigned.status).toBe(401);
    expect(await byOrder(integration.id)).toEqual(before);
    const body = "not json";
    const bad = await call("POST", "/webhooks/shopify/compliance", body, null, { "x-shopify-topic": "shop/redact", "x-shopify-hmac-sha256": await hmacBase64(APP_SECRET, body) });
    expect(bad.status).toBe(400);
  });
});
