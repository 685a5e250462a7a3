import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import worker from "../../src/index";
import { activate, call, createIntegration, createTenant } from "../helpers";

/** Runs the Worker's scheduled handler as the 5-minute cron at `minute` past the hour (never later than now). */
export async function runScheduled(minute: number) {
  const at = new Date();
  at.setUTCMinutes(minute, 0, 0);
  if (at.getTime() > Date.now()) at.setUTCHours(at.getUTCHours() - 1);
  const controller = createScheduledController({ scheduledTime: at, cron: "*/5 * * * *" });
  await worker.scheduled(controller, env);
}

export async function activeIntegration(shop: { module: string; settings: Record<string, unknown> }) {
  const t = await createTenant();
  const i = await createIntegration(t.id, { shop, accounting: { module: "sandbox", settings: {} } });
  await activate(i.id);
  return (await call("GET", `/api/staff/integrations/${i.id}`)).json as { id: string; createdAt: string; startAt: string; health: any };
}

export async function pollState(integrationId: string) {
  const row = await env.DB.prepare("SELECT poll_cursor, health FROM integrations WHERE id = ?").bind(integrationId).first<{ poll_cursor: string | null; health: string | null }>();
  return { cursor: row?.poll_cursor ? JSON.parse(row.poll_cursor) : null, health: row?.health ? JSON.parse(row.health) : null };
}

/** The ledger's rows by status, and how many documents each order got (attempts with outcome "transferred"). */
export async function ledgerSummary(integrationId: string) {
  const rows = (await env.DB.prepare("SELECT shop_order_id, status, source FROM ledger WHERE integration_id = ?").bind(integrationId).all<{ shop_order_id: string; status: string; source: string }>()).results;
  const transfers = (
    await env.DB.prepare(
      "SELECT l.shop_order_id id, count(*) n FROM ledger_attempts a JOIN ledger l ON l.id = a.ledger_id WHERE l.integration_id = ? AND a.outcome = 'transferred' GROUP BY l.shop_order_id",
    )
      .bind(integrationId)
      .all<{ id: string; n: number }>()
  ).results;
  return {
    rows: rows.length,
    byStatus: (s: string) => rows.filter((r) => r.status === s).map((r) => r.shop_order_id).sort((a, b) => Number(a) - Number(b)),
    transfersPerOrder: Object.fromEntries(transfers.map((t) => [t.id, t.n])),
  };
}

export const waitUntil = <T>(check: () => Promise<T>, timeout = 20000) => vi.waitFor(check, { timeout, interval: 100 });
