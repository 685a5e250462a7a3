/** Home: this month's usage, a server-rendered SVG chart of transferred orders per day, orders needing attention. */
import { and, count, eq, gte, sql } from "drizzle-orm";
import type { Hono } from "hono";
import { accountStub } from "../account/client";
import { getDb } from "../db/client";
import { ledger } from "../db/schema";
import { copenhagenDate, copenhagenMonth } from "../lib/time";
import { tenantPlan } from "../account/prices";
import type { PageContext, PagesEnv } from "./auth";
import type { T } from "./i18n";
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

export function homeRoutes(app: Hono<PagesEnv>) {
  app.get("/home", async (c) => {
    const t = tr(c);
    const tenantId = c.get("user").tenantId;
    const [usage, days, attention] = await Promise.all([
      tenantUsage(c),
      perDay(c),
      getDb(c.env).select({ n: count() }).from(ledger).where(and(eq(ledger.tenantId, tenantId), eq(ledger.status, "failed"))).get(),
    ]);
    return render(
      c,
      t.t("navHome"),
      <>
        <h1>{t.t("navHome")}</h1>
        <h2>{t.t("usageThisMonth")} ({usage.month})</h2>
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
