import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { call } from "../helpers";

describe("staff auth", () => {
  it("refuses a missing or unknown token with 401 in the api.md format", async () => {
    const none = await call("GET", "/api/staff/plans", undefined, null);
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe("unauthorized");
    const wrong = await call("GET", "/api/staff/plans", undefined, "nope");
    expect(wrong.status).toBe(401);
  });

  it("mints a scoped key stored only as a hash, enforces scopes, and revokes at once", async () => {
    const created = await call("POST", "/api/staff/keys", { name: "reader", scopes: ["read"] });
    expect(created.status).toBe(201);
    const { id, token } = created.json;
    expect(token).toMatch(/^obk_/);
    const row = await env.DB.prepare("SELECT token_hash FROM staff_keys WHERE id = ?").bind(id).first<{ token_hash: string }>();
    expect(row!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.token_hash).not.toContain(token);

    expect((await call("GET", "/api/staff/plans", undefined, token)).status).toBe(200);
    const forbidden = await call("POST", "/api/staff/tenants", { name: "X", planCode: "basic" }, token);
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.error.code).toBe("forbidden");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tenants WHERE name = 'X'").first("n")).toBe(0);

    expect((await call("DELETE", `/api/staff/keys/${id}`)).status).toBe(204);
    expect((await call("GET", "/api/staff/plans", undefined, token)).status).toBe(401);
  });

  it("a write scope includes read", async () => {
    const { token } = (await call("POST", "/api/staff/keys", { name: "writer", scopes: ["tenants:write"] })).json;
    expect((await call("GET", "/api/staff/plans", undefined, token)).status).toBe(200);
    expect((await call("POST", "/api/staff/keys", { name: "x", scopes: ["read"] }, token)).status).toBe(403);
  });

  it("audits every write", async () => {
    const { id } = (await call("POST", "/api/staff/keys", { name: "audited", scopes: ["read"] })).json;
    await call("DELETE", `/api/staff/keys/${id}`);
    const rows = await env.DB.prepare("SELECT action, actor FROM audit_log WHERE target_id = ? ORDER BY id").bind(id).all();
    expect(rows.results).toEqual([
      { action: "key.create", actor: "bootstrap" },
      { action: "key.revoke", actor: "bootstrap" },
    ]);
  });

  it("serves the OpenAPI document without auth, listing every staff route", async () => {
    const r = await call("GET", "/api/staff/openapi.json", undefined, null);
    expect(r.status).toBe(200);
    const paths = Object.keys(r.json.paths);
    for (const p of [
      "/keys",
      "/keys/{id}",
      "/plans",
      "/plans/{code}",
      "/prices",
      "/tenants",
      "/tenants/{id}",
      "/tenants/{id}/users",
      "/tenants/{tenantId}/integrations",
      "/integrations/{id}",
      "/integrations/{id}/activate",
      "/integrations/{id}/deactivate",
    ])
      expect(paths).toContain(p);
  });

  it("rejects bad input with 400/415 and the error format", async () => {
    const bad = await call("POST", "/api/staff/tenants", { name: 5 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("invalid_request");
    expect(bad.json.error.details.issues.length).toBeGreaterThan(0);
    const malformed = await call("POST", "/api/staff/tenants", "{not json");
    expect(malformed.status).toBe(400);
    const form = await call("POST", "/api/staff/tenants", "name=x", undefined, { "content-type": "application/x-www-form-urlencoded" });
    expect(form.status).toBe(415);
    expect(form.json.error.code).toBe("unsupported_media_type");
    // An action endpoint takes an empty body or {} whatever the declared type.
    const t = (await call("POST", "/api/staff/tenants", { name: "Action", planCode: "basic" })).json;
    const i = (await call("POST", `/api/staff/tenants/${t.id}/integrations`, { shop: { module: "sandbox" }, accounting: { module: "sandbox" } })).json;
    for (const [body, type] of [["{}", "text/plain"], ["", "text/plain"], ["{}", "application/json"]]) {
      const r = await call("POST", `/api/staff/integrations/${i.id}/deactivate`, body, undefined, { "content-type": type });
      expect(r.status, `${type} ${body}`).toBe(200);
    }
  });
});
