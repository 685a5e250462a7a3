import { env, exports } from "cloudflare:workers";
import { activate, call, createIntegration, createTenant } from "../helpers";

type Form = Record<string, string | string[]>;

/** A browser-like client of the settings page: keeps cookies, reads the CSRF token from forms. */
export class Browser {
  cookies = new Map<string, string>();
  lastSetCookies: string[] = [];
  constructor(readonly ip = `10.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`) {}

  async fetch(method: string, path: string, form?: Form, headers: Record<string, string> = {}) {
    const h: Record<string, string> = { "cf-connecting-ip": this.ip, ...headers };
    if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    let body: string | undefined;
    if (form) {
      h["content-type"] = "application/x-www-form-urlencoded";
      // A list is sent as repeated fields, as ticked checkboxes are.
      body = new URLSearchParams(Object.entries(form).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]]))).toString();
    }
    const res = await exports.default.fetch(new Request(`https://orderbridge.test${path}`, { method, headers: h, body, redirect: "manual" }));
    this.lastSetCookies = res.headers.getSetCookie();
    for (const c of this.lastSetCookies) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (!value || /max-age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, text: await res.text(), headers: res.headers, location: res.headers.get("location") };
  }
  get(path: string) {
    return this.fetch("GET", path);
  }
  post(path: string, form: Form = {}) {
    return this.fetch("POST", path, form);
  }
  /** GETs a page and posts a form with its CSRF token (`_csrf` from the page). */
  async submit(pagePath: string, action: string, form: Form = {}) {
    const page = await this.get(pagePath);
    return this.post(action, { _csrf: csrfOf(page.text), ...form });
  }
}

export function csrfOf(html: string) {
  const m = html.match(/name="_csrf" value="([^"]+)"/);
  if (!m) throw new Error("no CSRF token on the page");
  return m[1];
}

export const PASSWORD = "correct horse battery";

/** Tenant + owner invited through the staff API, password chosen, signed in. */
export async function signedInOwner(opts: { role?: "owner" | "member"; tenantId?: string } = {}) {
  const tenantId = opts.tenantId ?? (await createTenant()).id;
  const email = `u${crypto.randomUUID().slice(0, 8)}@shop.example`;
  const inv = await call("POST", `/api/staff/tenants/${tenantId}/users`, { email, role: opts.role ?? "owner" });
  if (inv.status !== 201) throw new Error(inv.text);
  const path = new URL(inv.json.inviteUrl).pathname;
  const b = new Browser();
  const page = await b.get(path);
  const r = await b.post(path, { _csrf: csrfOf(page.text), password: PASSWORD, password2: PASSWORD });
  if (r.status !== 303) throw new Error(`invite: ${r.status} ${r.text.slice(0, 500)}`);
  return { b, tenantId, email, userId: inv.json.userId as string, invitePath: path };
}

/**
 * A tenant with an active sandbox integration, one failed order (`orderId`) and a draft import whose test
 * transfer is that order, written directly.
 */
export async function tenantWithOrderAndImport(name: string, orderId: string) {
  const t = await createTenant(name);
  const i = await createIntegration(t.id, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
  await activate(i.id);
  const now = new Date().toISOString();
  await env.DB.prepare(
    `INSERT INTO ledger (id, integration_id, tenant_id, shop_order_id, order_number, status, source, received_at, updated_at, error_category, error_message, error_hint)
     VALUES (?, ?, ?, ?, ?, 'failed', 'poll', ?, ?, 'sku_missing', 'no sku', 'give it a sku')`,
  ).bind(`led_${crypto.randomUUID()}`, i.id, t.id, orderId, orderId, now, now).run();
  const importId = `imp_${crypto.randomUUID().slice(0, 12)}`;
  await env.DB.prepare(
    `INSERT INTO imports (id, tenant_id, integration_id, status, from_date, to_date, estimated_orders, accepted_half_hours, created_at, test_transfer)
     VALUES (?, ?, ?, 'draft', '2026-01-01', '2026-02-01', 10, 1, ?, ?)`,
  ).bind(importId, t.id, i.id, now, JSON.stringify({ orderId, status: "transferred", document: { type: "draft", number: "1" } })).run();
  return { tenantId: t.id, integrationId: i.id, orderId, importId };
}
