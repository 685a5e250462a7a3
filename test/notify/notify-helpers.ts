import { afterEach, beforeEach } from "vitest";
import { env } from "cloudflare:workers";
import { setOutboundFetch } from "../../src/lib/outbound";
import { setSender, type Mail } from "../../src/notify/sender";
import { call } from "../helpers";

/** Records what the EMAIL binding would have been given. */
export function recordingSender() {
  const sent: Mail[] = [];
  let failing = 0;
  setSender({
    async send(mail) {
      if (failing > 0) {
        failing--;
        throw new Error("Email Service answered 503");
      }
      sent.push(mail);
      return { messageId: `<${crypto.randomUUID()}@orderbridge.test>` };
    },
  });
  return {
    sent,
    /** The next n sends fail. */
    failNext(n: number) {
      failing = n;
    },
    to: (email: string) => sent.filter((m) => m.to === email),
  };
}

/** A user of the tenant through the staff API (language set as if chosen on the page). */
export async function addUser(tenantId: string, role: "owner" | "member", language?: "da" | "en") {
  const email = `${role}-${crypto.randomUUID().slice(0, 8)}@shop.example`;
  const r = await call("POST", `/api/staff/tenants/${tenantId}/users`, { email, role });
  if (r.status !== 201) throw new Error(r.text);
  if (language) await env.DB.prepare("UPDATE users SET language = ? WHERE id = ?").bind(language, r.json.userId).run();
  return { email, userId: r.json.userId as string };
}

export async function outbox(tenantId: string) {
  const r = await call("GET", `/api/staff/tenants/${tenantId}/notifications?limit=200`);
  if (r.status !== 200) throw new Error(r.text);
  return r.json.items as { id: string; kind: string; to: string; subject: string; status: string; integrationId?: string; importId?: string; createdAt: string; sentAt?: string; attempts: number; error?: string | null }[];
}

/** A sandbox integration with earlier orders (before its start point), ready for an import. */
export async function importable(count: number) {
  const { activate, createIntegration, createTenant } = await import("../helpers");
  const { demoOrder } = await import("../../src/modules/sandbox/shop");
  const t = await createTenant();
  const i = await createIntegration(t.id, { name: "Webshop DK", shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
  await activate(i.id);
  for (let n = 1; n <= count; n++) {
    const at = new Date(Date.now() - (20 + n) * 86400_000).toISOString();
    const id = 800000 + n;
    await env.DB.prepare("INSERT INTO sandbox_orders (integration_id, id, number, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(i.id, String(id), 2000 + n, JSON.stringify(demoOrder(id, 2000 + n, { sku: n === 2 ? "NOPE-9" : undefined, createdAt: at }, at)), at, at)
      .run();
  }
  return { tenantId: t.id as string, integrationId: i.id as string, fromDate: new Date(Date.now() - 60 * 86400_000).toISOString().slice(0, 10) };
}

/** A recording sender for each test of the file (and the outbound fetch and sender reset after it). */
export function useRecordingSender() {
  let current = recordingSender();
  beforeEach(() => {
    current = recordingSender();
  });
  afterEach(() => {
    setOutboundFetch();
    setSender();
  });
  return {
    get sent() {
      return current.sent;
    },
    failNext: (n: number) => current.failNext(n),
    to: (email: string) => current.to(email),
  };
}
