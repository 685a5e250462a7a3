import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createIntegration, economicSettingsComplete } from "../helpers";
import { csrfOf, signedInOwner } from "./helpers";

/** A failed order in the ledger of an integration, as a transfer would have left it (English message and hint). */
export async function failedOrder(tenantId: string, integrationId: string, orderNumber: string, category: string, message: string, extra: { customer?: string; receivedAt?: string } = {}) {
  const at = extra.receivedAt ?? new Date().toISOString();
  await env.DB.prepare(
    `INSERT INTO ledger (id, integration_id, tenant_id, shop_order_id, order_number, status, source, received_at, updated_at, error_category, error_message, error_hint, received)
     VALUES (?, ?, ?, ?, ?, 'failed', 'webhook', ?, ?, ?, ?, 'an English hint', ?)`,
  )
    .bind(`led_${crypto.randomUUID()}`, integrationId, tenantId, `id-${orderNumber}`, orderNumber, at, at, category, message, extra.customer ? JSON.stringify({ customer: extra.customer }) : null)
    .run();
  return `id-${orderNumber}`;
}

describe("settings page: every word in the page's language, every hint true", () => {
  it("hints come from the category and its parameters, name only the integration's settings, and say that nothing retries an order whose retries ran out", async () => {
    const { b, tenantId } = await signedInOwner();
    const sandbox = await createIntegration(tenantId, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    const economic = await createIntegration(tenantId, { shop: { module: "sandbox", settings: {} }, accounting: { module: "economic", settings: economicSettingsComplete } });
    const message = 'Product "SKU-9" does not exist in the accounting system.';
    const onSandbox = await failedOrder(tenantId, sandbox.id, "1001", "product_missing", message);
    const onEconomic = await failedOrder(tenantId, economic.id, "1002", "product_missing", message);
    const down = await failedOrder(tenantId, sandbox.id, "1003", "accounting_unavailable", "The accounting system did not answer after repeated retries");

    const s = await b.get(`/integrations/${sandbox.id}/orders/${onSandbox}`);
    expect(s.status).toBe(200);
    expect(s.text).toContain("Opret varen SKU-9 i regnskabet med samme varenummer som i webshoppen, og tryk «Overfør igen».");
    expect(s.text).not.toContain("Opret manglende varer"); // the sandbox has no such setting
    expect(s.text).not.toContain("an English hint");
    // The system's own words stay as the detail, marked as English.
    expect(s.text).toMatch(/<td lang="en" class="muted">Product &quot;SKU-9&quot; does not exist/);

    const e = await b.get(`/integrations/${economic.id}/orders/${onEconomic}`);
    expect(e.text).toContain("Eller slå «Opret manglende varer» til i integrationen");
    const en = await b.get(`/integrations/${economic.id}/orders/${onEconomic}?lang=en`);
    expect(en.text).toContain("Or turn on “Create missing products” in the integration");

    const d = await b.get(`/integrations/${sandbox.id}/orders/${down}?lang=da`);
    expect(d.text).toContain("ordren prøves ikke igen af sig selv");
    expect(d.text).not.toContain("automatisk");
  });

  it("settings errors are field messages in the merchant's words, never zod's", async () => {
    const { b, tenantId } = await signedInOwner();
    const i = await createIntegration(tenantId, { shop: { module: "shopify", settings: {} }, accounting: { module: "economic", settings: {} } });
    const page = await b.get(`/integrations/${i.id}`);
    const bad = await b.post(`/integrations/${i.id}/settings`, { _csrf: csrfOf(page.text), "accounting.layoutNumber": "nitten", "shop.shopDomain": "butik.dk", "accounting.paymentTermsNumber": "0" });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("Skriv et helt tal, fx 1.");
    expect(bad.text).toContain("Skriv butikkens Shopify-domæne på formen navn.myshopify.com");
    expect(bad.text).not.toMatch(/Invalid input|expected number|received string|must be the shop/);
    const en = await b.post(`/integrations/${i.id}/settings?lang=en`, { _csrf: csrfOf(page.text), "accounting.layoutNumber": "nineteen" });
    expect(en.text).toContain("Enter a whole number, e.g. 1.");
  });
});
