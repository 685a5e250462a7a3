/** Home: this month's usage, a server-rendered SVG chart of transferred orders per day, orders needing attention. */
import { and, count, eq, gte, max, sql } from "drizzle-orm";
import type { Hono } from "hono";
import { accountStub } from "../account/client";
import { getDb } from "../db/client";
import { integrations, ledger, notifyIncidents } from "../db/schema";
import { connectionOf, isWebhookShop } from "../integrations/store";
import { integrationLabel } from "../notify/labels";
import { copenhagenDate, copenhagenMonth } from "../domain/calendar";
import { tenantPlan } from "../account/prices";
import type { PageContext, PagesEnv } from "./auth";
import type { T } from "../words/i18n";
import { render, tr } from "./layout";

export async function tenantUsage(c: PageContext) {
  const tenantId = c.get("user").tenantId;
  const { plan, currency } = await tenantPlan(getDb(c.env), tenantId);
  const usage = await accountStub(c.env, tenantId).usage(copenhagenMonth(new Date()), plan);
  return { ...usage, currency };
}

export type Usage = Awaited<ReturnType<typeof tenantUsage>>;

export function UsageStats(p: { t: T; u: Usage }) {
  const { t, u } = p;
  const stat = (label: string, value: string, id: string) => (
    <div class="stat card" data-stat={id}>
      <b>{value}</b>
      <span>{label}</span>
    </div>
  );
  return (
    <div class="grid">
      {stat(t.t("included"), t.num(u.includedOrders), "included")}
      {stat(t.t("used"), t.num(u.usedIncluded), "used")}
      {stat(t.t("remaining"), t.num(u.remainingIncluded), "remaining")}
      {stat(t.t("topUpBalance"), t.num(u.topUpBalance), "topUpBalance")}
      {stat(t.t("extraOrders"), t.num(u.extraOrders), "extraOrders")}
      {stat(t.t("extraOrdersCost"), t.money(u.extraOrdersCost, u.currency), "extraOrdersCost")}
    </div>
  );
}

const DAYS = 30;

/** Transferred orders per Copenhagen day for the last 30 days (grouped by UTC hour in SQL, then by local day). */
async function perDay(c: PageContext): Promise<{ date: string; n: number }[]> {
  const since = new Date(Date.now() - DAYS * 86400_000);
  const rows = await getDb(c.env)
    .select({ hour: sql<string>`substr(${ledger.transferredAt}, 1, 13)`, n: count() })
    .from(ledger)
    .where(and(eq(ledger.tenantId, c.get("user").tenantId), eq(ledger.status, "transferred"), gte(ledger.transferredAt, since.toISOString())))
    .groupBy(sql`1`)
    .all();
  const byDay = new Map<string, number>();
  for (const r of rows) {
    const d = copenhagenDate(`${r.hour}:00:00Z`);
    byDay.set(d, (byDay.get(d) ?? 0) + r.n);
  }
  const out: { date: string; n: number }[] = [];
  for (let i = DAYS - 1; i >= 0; i--) {
    const d = copenhagenDate(new Date(Date.now() - i * 86400_000));
    if (!out.some((o) => o.date === d)) out.push({ date: d, n: byDay.get(d) ?? 0 });
  }
  return out;
}

function Chart(p: { t: T; days: { date: string; n: number }[] }) {
  const W = 720, H = 180, pad = 24, bw = (W - pad * 2) / p.days.length;
  const max = Math.max(1, ...p.days.map((d) => d.n));
  return (
    <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={p.t.t("ordersPerDay")}>
      <line x1={pad} y1={H - pad} x2={W - pad} y2={H - pad} stroke="#b9c2cf" />
      <text x={pad} y={12}>{p.t.num(max)}</text>
      {p.days.map((d, i) => {
        const h = ((H - pad * 2) * d.n) / max;
        return (
          <g>
            <rect x={pad + i * bw + 1} y={H - pad - h} width={Math.max(1, bw - 2)} height={h} fill="#2456c8">
              <title>{`${d.date}: ${d.n}`}</title>
            </rect>
            {i % 5 === 0 && (
              <text x={pad + i * bw} y={H - 8}>
                {d.date.slice(5)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

/** Per integration, "is it working?": last order received, last transfer, webhook silence, connection state. */
async function health(c: PageContext) {
  const db = getDb(c.env);
  const rows = await db.select().from(integrations).where(eq(integrations.tenantId, c.get("user").tenantId)).all();
  return Promise.all(
    rows.map(async (row) => {
      const [last, silence, shop, accounting] = await Promise.all([
        db.select({ received: max(ledger.receivedAt), transferred: max(ledger.transferredAt) }).from(ledger).where(eq(ledger.integrationId, row.id)).get(),
        db.select().from(notifyIncidents).where(and(eq(notifyIncidents.kind, "webhooks_missing"), eq(notifyIncidents.subjectId, row.id), eq(notifyIncidents.open, 1))).get(),
        connectionOf(c.env, row, "shop"),
        connectionOf(c.env, row, "accounting"),
      ]);
      return { row, label: integrationLabel(row), last, webhook: isWebhookShop(row) ? (silence ? silence.lastSeenAt : "ok") : null, shop: shop.status, accounting: accounting.status };
    }),
  );
}

function Health(p: { t: T; items: Awaited<ReturnType<typeof health>> }) {
  const { t } = p;
  if (!p.items.length) return null;
  return (
    <div class="card" id="health">
      <h2>{t.t("health")}</h2>
      {p.items.map((h) => (
        <div data-integration={h.row.id}>
          <h3>
            <a href={`/integrations/${h.row.id}`}>{h.label}</a> <span class="muted">({t.code(h.row.status)})</span>
          </h3>
          <ul>
            <li data-health="lastOrder">{t.t("lastOrderReceived")}: {h.last?.received ? t.when(h.last.received) : t.t("never")}</li>
            <li data-health="lastTransfer">{t.t("lastTransfer")}: {h.last?.transferred ? t.when(h.last.transferred) : t.t("never")}</li>
            <li data-health="webhooks" class={h.webhook && h.webhook !== "ok" ? "field-error" : undefined}>
              {t.t("webhookSilence")}: {h.webhook === null ? t.t("webhooksPolled") : h.webhook === "ok" ? t.t("webhooksOk") : t.t("webhooksMissingSince", { when: t.when(h.webhook) })}
            </li>
            <li data-health="connection" class={h.shop === "needs_reconnect" || h.accounting === "needs_reconnect" ? "field-error" : undefined}>
              {t.t("connectionState")}: {t.t("shopModule")} {t.code(h.shop)}, {t.t("accountingModule")} {t.code(h.accounting)}
            </li>
          </ul>
        </div>
      ))}
    </div>
  );
}

export function homeRoutes(app: Hono<PagesEnv>) {
  app.get("/home", async (c) => {
    const t = tr(c);
    const tenantId = c.get("user").tenantId;
    const [usage, days, attention, integrationsHealth] = await Promise.all([
      tenantUsage(c),
      perDay(c),
      getDb(c.env).select({ n: count() }).from(ledger).where(and(eq(ledger.tenantId, tenantId), eq(ledger.status, "failed"))).get(),
      health(c),
    ]);
    return render(
      c,
      t.t("navHome"),
      <>
        <h1>{t.t("navHome")}</h1>
        <Health t={t} items={integrationsHealth} />
        <h2>{t.t("usageThisMonth")} ({t.month(usage.month)})</h2>
        <UsageStats t={t} u={usage} />
        <div class="card">
          <h2>{t.t("needsAttention")}</h2>
          <p>
            <b id="attention" class="price">{t.num(attention?.n ?? 0)}</b>{" "}
            <a href="/log?status=failed">{t.t("seeLog")}</a>
          </p>
        </div>
        <div class="card">
          <h2>{t.t("ordersPerDay")}</h2>
          <Chart t={t} days={days} />
        </div>
      </>,
    );
  });
}
