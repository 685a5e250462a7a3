import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { activate, createIntegration, createTenant } from "../helpers";
import { signedInOwner } from "./helpers";

/** Another tenant's integration, order, import and user, written directly. */
async function otherTenant() {
  const t = await createTenant("Other ApS");
  const i = await createIntegration(t.id, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
  await activate(i.id);
  const now = new Date().toISOString();
  await env.DB.prepare(
    `INSERT INTO ledger (id, integration_id, tenant_id, shop_order_id, order_number, status, source, received_at, updated_at, error_category, error_message, error_hint)
     VALUES (?, ?, ?, '9001', '9001', 'failed', 'poll', ?, ?, 'sku_missing', 'no sku', 'give it a sku')`,
  ).bind(`led_${crypto.randomUUID()}`, i.id, t.id, now, now).run();
  const importId = `imp_${crypto.randomUUID().slice(0, 12)}`;
  await env.DB.prepare(
    `INSERT INTO imports (id, tenant_id, integration_id, status, from_date, to_date, estimated_orders, accepted_half_hours, created_at, test_transfer)
     VALUES (?, ?, ?, 'draft', '2026-01-01', '2026-02-01', 10, 1, ?, ?)`,
  ).bind(importId, t.id, i.id, now, JSON.stringify({ orderId: "9001", status: "transferred", document: { type: "draft", number: "1" } })).run();
  const user = await signedInOwner({ tenantId: t.id, role: "member" });
  return { tenantId: t.id, integrationId: i.id, orderId: "9001", importId, userId: user.userId };
}

describe("settings page: a user sees only their own tenant", () => {
  it("every route × another tenant's ids → 404, and nothing changes", async () => {
    const me = await signedInOwner();
    const o = await otherTenant();
    const routes: [string, string, Record<string, string>?][] = [
      ["GET", `/integrations/${o.integrationId}`],
      ["POST", `/integrations/${o.integrationId}/settings`, { "shop.allowedStatuses": "cancelled" }],
      ["POST", `/integrations/${o.integrationId}/activate`],
      ["POST", `/integrations/${o.integrationId}/deactivate`],
      ["GET", `/log?integration=${o.integrationId}`],
      ["GET", `/integrations/${o.integrationId}/orders/${o.orderId}`],
      ["POST", `/integrations/${o.integrationId}/orders/${o.orderId}/transfer-again`, { confirm: "yes" }],
      ["GET", `/imports/${o.importId}`],
      ["POST", `/imports/${o.importId}/approve`, { note: "ok" }],
      ["POST", `/users/${o.userId}/remove`],
      // Unknown ids answer the same.
      ["GET", `/integrations/int_nope`],
      ["GET", `/integrations/${o.integrationId}/orders/nope`],
      ["GET", `/imports/imp_nope`],
    ];
    const csrf = (await me.b.get("/home")).text.match(/name="_csrf" value="([^"]+)"/)![1];
    for (const [method, path, form] of routes) {
      const r = method === "GET" ? await me.b.get(path) : await me.b.post(path, { _csrf: csrf, ...(form ?? {}) });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.text, `${method} ${path}`).not.toContain("Other ApS");
    }
    const integ = await env.DB.prepare("SELECT status, shop_settings FROM integrations WHERE id = ?").bind(o.integrationId).first<Record<string, string>>();
    expect(integ!.status).toBe("active");
    expect(integ!.shop_settings).toBe("{}");
    expect(await env.DB.prepare("SELECT status FROM ledger WHERE integration_id = ?").bind(o.integrationId).first("status")).toBe("failed");
    expect(await env.DB.prepare("SELECT status FROM imports WHERE id = ?").bind(o.importId).first("status")).toBe("draft");
    expect(await env.DB.prepare("SELECT removed_at FROM users WHERE id = ?").bind(o.userId).first("removed_at")).toBeNull();
    // Lists show only the own tenant's rows.
    expect((await me.b.get("/integrations")).text).not.toContain(o.integrationId);
    expect((await me.b.get("/imports")).text).not.toContain(o.importId);
    expect((await me.b.get("/users")).text).not.toContain(o.userId);
    expect((await me.b.get("/home")).text).toMatch(/id="attention"[^>]*>0</);
  });
});
