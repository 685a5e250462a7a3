import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call } from "../helpers";
import { csrfOf, signedInOwner, tenantWithOrderAndImport } from "./helpers";

/** A tenant with an owner and a member, an active sandbox integration with one failed order, and a draft import ready for approval. */
async function tenantWithMember() {
  const f = await tenantWithOrderAndImport("Roller ApS", "7001");
  const owner = await signedInOwner({ tenantId: f.tenantId });
  const member = await signedInOwner({ tenantId: f.tenantId, role: "member" });
  return { tenantId: f.tenantId, integrationId: f.integrationId, importId: f.importId, owner, member };
}

/** Everything a refused form could have changed. */
async function snapshot(tenantId: string) {
  const q = (sql: string) => env.DB.prepare(sql).bind(tenantId).all().then((r) => JSON.stringify(r.results));
  return [
    await q("SELECT id, status, name, shop_settings, accounting_settings, shop_secrets, accounting_secrets, updated_at FROM integrations WHERE tenant_id = ? ORDER BY id"),
    await q("SELECT id, status, approval FROM imports WHERE tenant_id = ? ORDER BY id"),
    await q("SELECT id, email, role, removed_at FROM users WHERE tenant_id = ? ORDER BY id"),
    await q("SELECT count(*) AS n FROM audit_log WHERE tenant_id = ?"),
    JSON.stringify((await call("GET", `/api/staff/tenants/${tenantId}/usage`)).json.topUpBalance),
  ];
}

describe("settings page: roles (owners change, members see and transfer again)", () => {
  it("every owner-only form posted by a member is 403 in words and changes nothing", async () => {
    const s = await tenantWithMember();
    const csrf = csrfOf((await s.member.b.get("/home")).text);
    const refused: [string, Record<string, string>][] = [
      ["/integrations", { name: "x", shop: "sandbox", accounting: "sandbox" }],
      [`/integrations/${s.integrationId}/settings`, { "shop.allowedStatuses": "cancelled" }],
      [`/integrations/${s.integrationId}/deactivate`, {}],
      [`/integrations/${s.integrationId}/activate`, {}],
      ["/subscription/top-up", { orders: "500", purchaseId: "web_member1" }],
      [`/imports/${s.importId}/approve`, { note: "ok" }],
      ["/users", { email: "new@shop.example", role: "owner" }],
      [`/users/${s.owner.userId}/remove`, {}],
    ];
    const before = await snapshot(s.tenantId);
    for (const [path, form] of refused) {
      const r = await s.member.b.post(path, { _csrf: csrf, ...form });
      expect(r.status, path).toBe(403);
      expect(r.text, path).toContain("Kun ejeren af kontoen kan gøre dette; intet er ændret.");
    }
    expect(await snapshot(s.tenantId)).toEqual(before);
    // The same forms from the owner do act (so the refusal above is the role, not a broken form).
    const ownerCsrf = csrfOf((await s.owner.b.get("/home")).text);
    expect((await s.owner.b.post(`/integrations/${s.integrationId}/deactivate`, { _csrf: ownerCsrf })).status).toBe(303);
    expect((await call("GET", `/api/staff/integrations/${s.integrationId}`)).json.status).toBe("inactive");
  });

  it("a member sees the pages and may transfer an order again", async () => {
    const s = await tenantWithMember();
    for (const path of ["/home", "/integrations", `/integrations/${s.integrationId}`, `/log?integration=${s.integrationId}`, "/subscription", "/imports", `/imports/${s.importId}`])
      expect((await s.member.b.get(path)).status, path).toBe(200);
    const orderPath = `/integrations/${s.integrationId}/orders/7001`;
    const page = await s.member.b.get(orderPath);
    const again = await s.member.b.post(`${orderPath}/transfer-again`, { _csrf: csrfOf(page.text), confirm: "yes" });
    expect(again.status).toBe(303);
    // A failed order asked again: queued as a manual transfer (it may already have run), its error cleared.
    const row = await env.DB.prepare("SELECT source, error_category FROM ledger WHERE integration_id = ? AND shop_order_id = '7001'").bind(s.integrationId).first<{ source: string; error_category: string | null }>();
    expect(row!.source).toBe("manual");
    expect(row!.error_category).not.toBe("sku_missing");
    const audit = await env.DB.prepare("SELECT actor FROM audit_log WHERE action = 'order.transfer_again' AND target_id = ?").bind(`${s.integrationId}/7001`).first<string>("actor");
    expect(audit).toBe(`user:${s.member.userId}`);
  });
});

describe("settings page: standards mode, 404 and expired forms", () => {
  it("every page has a doctype; an unknown address is a Danish 404 page, the API's stays JSON", async () => {
    const { b } = await signedInOwner();
    for (const path of ["/", "/home", "/log", "/subscription"]) {
      const r = await b.get(path === "/" ? "/?lang=da" : path);
      if (r.status === 303) continue; // "/" sends a signed-in user home
      expect(r.text.startsWith("<!DOCTYPE html>"), path).toBe(true);
    }
    const missing = await b.get("/does-not-exist");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toContain("text/html");
    expect(missing.text.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(missing.text).toContain("Siden findes ikke");
    expect(missing.text).toContain('href="/home"');
    expect((await b.get("/does-not-exist?lang=en")).text).toContain("Page not found");
    const api = await call("GET", "/api/staff/does-not-exist");
    expect(api.status).toBe(404);
    expect(api.json.error.code).toBe("not_found");
  });

  it("an expired form changes nothing and comes back with what was typed (not the secrets); sending it again saves", async () => {
    const { b } = await signedInOwner();
    const created = await b.submit("/integrations", "/integrations", { name: "Udløbet", shop: "shopify", accounting: "economic" });
    const id = created.location!.split("/").pop()!;
    const form = { "shop.shopDomain": "kept-shop.myshopify.com", "accounting.layoutNumber": "21", "shop.accessToken": "shpat_typed_secret" };
    const r = await b.post(`/integrations/${id}/settings`, { _csrf: "an-old-token-from-yesterday", ...form });
    expect(r.status).toBe(403);
    expect(r.text).toContain("Intet er gemt endnu");
    expect(r.text).toMatch(/<input type="hidden" name="shop.shopDomain" value="kept-shop.myshopify.com"/);
    expect(r.text).toMatch(/<input type="hidden" name="accounting.layoutNumber" value="21"/);
    expect(r.text).not.toContain("shpat_typed_secret");
    expect(r.text).toMatch(/id="expired-secrets">[^]*shop.accessToken/);
    expect(r.text).toContain(`action="/integrations/${id}/settings"`);
    expect(await env.DB.prepare("SELECT shop_settings FROM integrations WHERE id = ?").bind(id).first("shop_settings")).toBe("{}");
    // The re-shown form carries a valid token: sending it saves what was kept.
    const fields = Object.fromEntries([...r.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    expect(fields._csrf).toBeDefined();
    const again = await b.post(`/integrations/${id}/settings`, fields);
    expect(again.status).toBe(303);
    const api = (await call("GET", `/api/staff/integrations/${id}`)).json;
    expect(api.shop.settings.shopDomain).toBe("kept-shop.myshopify.com");
    expect(api.accounting.settings.layoutNumber).toBe(21);
  });
});
