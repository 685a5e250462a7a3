import { exports } from "cloudflare:workers";

export const BOOTSTRAP = "test-bootstrap-token";

/** A request to the Worker through its real fetch handler. */
export async function call(method: string, path: string, body?: unknown, token: string | null = BOOTSTRAP, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (token) (init.headers as Record<string, string>).authorization = `Bearer ${token}`;
  if (body !== undefined) {
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const res = await exports.default.fetch(new Request(`https://orderbridge.test${path}`, init));
  const text = await res.text();
  let json: any = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

export async function createTenant(name = "Test ApS", planCode = "basic") {
  const r = await call("POST", "/api/staff/tenants", { name, planCode });
  if (r.status !== 201) throw new Error(`tenant: ${r.status} ${r.text}`);
  return r.json as { id: string; name: string; planCode: string; createdAt: string };
}

export const economicSettingsComplete = {
  agreementGrantToken: "grant-secret-value",
  layoutNumber: 19,
  paymentTermsNumber: 1,
  customerGroupNumber: 1,
  vatZones: { domestic: 1, eu: 2, abroad: 3 },
  shippingProductNumber: "SHIP",
};

export async function createIntegration(tenantId: string, body: Record<string, unknown>) {
  const r = await call("POST", `/api/staff/tenants/${tenantId}/integrations`, body);
  if (r.status !== 201) throw new Error(`integration: ${r.status} ${r.text}`);
  return r.json;
}
