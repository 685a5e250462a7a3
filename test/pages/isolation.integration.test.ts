import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signedInOwner, tenantWithOrderAndImport } from "./helpers";

/** Another tenant's integration, order, import and user, written directly. */
async function otherTenant() {
  const f = await tenantWithOrderAndImport("Other ApS", "9001");
  const user = await signedInOwner({ tenantId: f.tenantId, role: "member" });
  return { ...f, userId: user.userId };
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
