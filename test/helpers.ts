import { TransferError } from "../src/domain/errors";
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

import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { hmacBase64 } from "../src/lib/crypto";
import { moduleStore } from "../src/db/bindings";
import type { AccountingContext } from "../src/modules/types";

export async function activate(integrationId: string) {
  const r = await call("POST", `/api/staff/integrations/${integrationId}/activate`);
  if (r.status !== 200) throw new Error(`activate: ${r.status} ${r.text}`);
  return r.json as { status: string; activatedAt: string; startAt: string };
}

/** Posts a WooCommerce webhook signed with `secret` (null: unsigned). */
export async function postWoo(integrationId: string, order: unknown, secret: string | null, topic = "order.created", extra: Record<string, string> = {}) {
  const body = typeof order === "string" ? order : JSON.stringify(order);
  const headers: Record<string, string> = { "content-type": "application/json", "x-wc-webhook-topic": topic, ...extra };
  if (secret) headers["x-wc-webhook-signature"] = await hmacBase64(secret, body);
  return call("POST", `/webhooks/woocommerce/${integrationId}`, body, null, headers);
}

/** Posts a Shopify webhook signed with `secret`. */
export async function postShopify(integrationId: string, order: unknown, secret: string, opts: { topic?: string; domain?: string; eventId?: string } = {}) {
  const body = typeof order === "string" ? order : JSON.stringify(order);
  return call("POST", `/webhooks/shopify/${integrationId}`, body, null, {
    "content-type": "application/json",
    "x-shopify-topic": opts.topic ?? "orders/create",
    "x-shopify-hmac-sha256": await hmacBase64(secret, body),
    "x-shopify-shop-domain": opts.domain ?? "demo-shop.myshopify.com",
    "x-shopify-event-id": opts.eventId ?? crypto.randomUUID(),
    "x-shopify-webhook-id": crypto.randomUUID(),
  });
}

export async function ledgerRows(integrationId: string) {
  return (await env.DB.prepare("SELECT * FROM ledger WHERE integration_id = ? ORDER BY received_at").bind(integrationId).all<Record<string, any>>()).results;
}

/** Waits (through the real queue) until the order's ledger row satisfies `until`. */
export async function waitForOrder(integrationId: string, orderId: string, until: (e: any) => boolean = (e) => e.status !== "pending", timeout = 15000) {
  return vi.waitFor(
    async () => {
      const r = await call("GET", `/api/staff/integrations/${integrationId}/orders/${orderId}`);
      if (r.status !== 200 || !until(r.json)) throw new Error(`not yet: ${r.status} ${r.text.slice(0, 300)}`);
      return r.json;
    },
    { timeout, interval: 100 },
  );
}

export async function sandboxDocuments(integrationId: string) {
  return (await env.DB.prepare("SELECT * FROM sandbox_documents WHERE integration_id = ? ORDER BY number").bind(integrationId).all<Record<string, any>>()).results;
}

/** The TransferError a promise rejects with (fails the test when it resolves or throws something else). */
export async function rejection(p: Promise<unknown>): Promise<TransferError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TransferError) return e;
    throw e;
  }
  throw new Error("expected a TransferError");
}

/** Waits until the import (staff API view) satisfies `until`, and returns that view. */
export const waitImport = (id: string, until: (i: any) => boolean, timeout = 120_000) =>
  vi.waitFor(
    async () => {
      const i = (await call("GET", `/api/staff/imports/${id}`)).json;
      if (!until(i)) throw new Error(`not yet: ${JSON.stringify(i).slice(0, 400)}`);
      return i;
    },
    { timeout, interval: 250 },
  );

/** An accounting module's context as the core builds it (TransferContext.accountingContext), for tests that open a session directly. */
export function accountingContext(c: Omit<AccountingContext, "store">): AccountingContext {
  return { ...c, store: moduleStore(c.db, c.integrationId) };
}
