/**
 * The webhook check of a shop connected by its module's flow (R26): the flow's `webhookCheck` lists the
 * webhooks it created and repairs them; here what it did is stored (the log, the connection's checkedAt,
 * the integration's health when the shop could not be read).
 */
import { audit } from "../db/audit";
import { setConnection, sideSettings, type Integration } from "../integrations/store";
import { getModule } from "../modules/registry";
import { setHealth, unhealthy } from "../transfers/poll";
import type { TransferContext } from "../transfers/transfer";

/** Runs the check when the shop's module has one, the shop is connected by the flow, and the last check is old enough. */
export async function checkConnectedWebhooks(ctx: TransferContext, integration: Integration, now: Date) {
  const check = getModule("shop", integration.shopModule)?.connect?.flow.webhookCheck;
  const conn = integration.shopConnection;
  if (!check || integration.status !== "active" || conn?.via !== "oauth" || conn.status !== "connected") return;
  if (now.getTime() - new Date(conn.checkedAt).getTime() < check.everyHours * 3600_000) return;
  const settings = await sideSettings(ctx.env, integration, "shop");
  const base = (ctx.env.PUBLIC_URL ?? "").replace(/\/+$/, "");
  const done = await check.run({ env: ctx.env, fetch: ctx.fetch, settings, webhookUrl: `${base}/webhooks/${integration.shopModule}/${integration.id}` });
  if ("failed" in done) {
    await setHealth(ctx.db, integration.id, unhealthy(done.failed, now));
    return;
  }
  if (done.repaired.length)
    await audit(ctx.db, { actor: "system", action: "webhooks.repaired", target: { type: "integration", id: integration.id, tenantId: integration.tenantId }, details: { repaired: done.repaired } });
  await setConnection(ctx.env, integration.id, "shop", { ...conn, checkedAt: now.toISOString() });
}
