import { describe, expect, it } from "vitest";
import { call, createIntegration, createTenant } from "../helpers";

const sandbox = { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } };

describe("setting names that a plain object inherits", () => {
  const names = [...Object.getOwnPropertyNames(Object.prototype), "__proto__"];
  it(`every one of Object.prototype's names (${names.length}) and __proto__ is an unknown setting: 400 invalid_request naming the key, nothing stored`, async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, sandbox);
    for (const side of ["shop", "accounting"] as const)
      for (const key of names) {
        const body = `{"${side}":{"settings":{"${key}":true}}}`;
        const r = await call("PATCH", `/api/staff/integrations/${i.id}`, body);
        expect(r.status, `${side}.${key}`).toBe(400);
        expect(r.json.error.code).toBe("invalid_request");
        expect(r.json.error.message).toContain(key);
        expect(JSON.stringify(r.json.error.details)).toContain(`${side}.settings.${key}`);
        const created = await call("POST", `/api/staff/tenants/${t.id}/integrations`, `{"shop":{"module":"sandbox","settings":{}},"accounting":{"module":"sandbox","settings":{}},"${side}":{"module":"sandbox","settings":{"${key}":1}}}`);
        expect(created.status, `create ${side}.${key}`).toBe(400);
      }
    const after = await call("GET", `/api/staff/integrations/${i.id}`);
    expect(after.json.shop.settings).toEqual({ allowedStatuses: ["processing", "completed"] });
  });
});

describe("action endpoints with a body that is not JSON", () => {
  it("activate, preflight, start, transfer again …: 400 invalid_request and nothing changes; an empty body and {} still work", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, sandbox);
    for (const path of [
      `/api/staff/integrations/${i.id}/activate`,
      `/api/staff/integrations/${i.id}/deactivate`,
      `/api/staff/integrations/${i.id}/orders/1/transfer-again`,
      `/api/staff/imports/imp_x/preflight`,
      `/api/staff/imports/imp_x/start`,
      `/api/staff/imports/imp_x/pause`,
      `/api/staff/imports/imp_x/resume`,
      `/api/staff/imports/imp_x/cancel`,
      `/api/staff/imports/imp_x/test-transfer`,
    ]) {
      const r = await call("POST", path, "{not json");
      expect(r.status, path).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
    }
    expect((await call("GET", `/api/staff/integrations/${i.id}`)).json.status).toBe("inactive");
    expect((await call("POST", `/api/staff/integrations/${i.id}/activate`, "{}")).status).toBe(200);
    expect((await call("POST", `/api/staff/integrations/${i.id}/deactivate`)).status).toBe(200);
  });
});
