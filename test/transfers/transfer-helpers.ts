import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";
import type { TransferMessage } from "../../src/transfers/messages";
import { activate, call, createIntegration, createTenant, economicSettingsComplete } from "../helpers";

/** Shared by the transfer tests: an integration into e-conomic, the consumer run as the queue would run it. */
export const soon = () => new Date(Date.now() + 1000).toISOString();

export async function setup(shop: "shopify" | "woocommerce", accounting: Record<string, unknown> = {}) {
  const t = await createTenant();
  const shopSettings =
    shop === "shopify"
      ? { shopDomain: "demo-shop.myshopify.com", accessToken: "shpat", webhookSecret: "shp-secret" }
      : { siteUrl: "https://shop.example.com", consumerKey: "ck", consumerSecret: "cs", webhookSecret: "woo-secret" };
  const i = await createIntegration(t.id, {
    shop: { module: shop, settings: shopSettings },
    accounting: { module: "economic", settings: { ...economicSettingsComplete, ...accounting } },
  });
  await activate(i.id);
  return { tenant: t, integration: i };
}

export const usage = async (tenantId: string) => (await call("GET", `/api/staff/tenants/${tenantId}/usage`)).json;

/** Runs the consumer on one batch, as the queue would, and returns the per-message outcome. */
export async function runBatch(messages: { body: TransferMessage; attempts?: number }[]) {
  const batch = createMessageBatch<TransferMessage>(
    "transfers",
    messages.map((m, n) => ({ id: `m${n}-${crypto.randomUUID()}`, timestamp: new Date(), body: m.body, attempts: m.attempts ?? 1 })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

export const delivery = (integrationId: string, order: unknown, opts: { isUpdate?: boolean; topic?: string } = {}, deliveryId = crypto.randomUUID()): TransferMessage => ({
  type: "delivery",
  integrationId,
  deliveryId,
  dedupeKey: `event:${deliveryId}`,
  topic: opts.topic ?? (opts.isUpdate ? "orders/updated" : "orders/create"),
  isUpdate: opts.isUpdate ?? false,
  active: true,
  receivedAt: new Date().toISOString(),
  body: JSON.stringify(order),
});
