/**
 * Subscription: plan, usage and the top-up slider ("Tank op", R12). The price comes from topUpQuote
 * (src/domain/pricing.ts) over the stored tier table, the same function the staff API's quote and
 * purchase use: rendered on the server for the first value, fetched from /subscription/quote as the
 * slider moves, and recomputed on purchase.
 */
import { eq } from "drizzle-orm";
import type { Hono } from "hono";
import { accountStub } from "../account/client";
import { getDb } from "../db/client";
import { audit } from "../db/audit";
import { plans, tenants } from "../db/schema";
import { cheaperAbove, topUpQuote, type TopUpTier } from "../domain/pricing";
import { randomToken } from "../lib/crypto";
import { priceList } from "../account/prices";
import type { PageContext, PagesEnv } from "./auth";
import { tenantUsage, UsageStats } from "./home";
import type { T } from "../words/i18n";
import { Csrf, FieldError, Flash, render, tr } from "./layout";
import { errorBody } from "../lib/errors";

export const SLIDER_MIN = 1;
const SLIDER_MAX_DEFAULT = 5000;
const DEFAULT_ORDERS = 100;

/** The slider reaches the top tier (twice its size, so the top tier's price is seen over a range). */
export const sliderMax = (tiers: TopUpTier[]) => Math.max(SLIDER_MAX_DEFAULT, 2 * tiers[tiers.length - 1].minOrders);

/** "500 ordrer koster 600,00 kr. – det samme eller mindre" beside the slider, when it applies. */
function tierHint(t: T, tiers: TopUpTier[], orders: number, currency: string) {
  const better = cheaperAbove(tiers, orders);
  return better ? t.t("tierHint", { n: t.num(better.orders), price: t.money(better.price, currency) }) : "";
}

export async function quoteFor(c: PageContext, orders: number) {
  const p = await priceList(getDb(c.env));
  return { ...topUpQuote(p.topUpTiers, orders), currency: p.currency };
}

async function page(c: PageContext, state: { orders?: string; error?: string; flash?: string } = {}, status: 200 | 400 = 200) {
  const t = tr(c);
  const db = getDb(c.env);
  const [usage, plan, prices] = await Promise.all([
    tenantUsage(c),
    db.select({ plan: plans }).from(tenants).innerJoin(plans, eq(plans.code, tenants.planCode)).where(eq(tenants.id, c.get("user").tenantId)).get(),
    priceList(db),
  ]);
  const typed = Number(state.orders);
  const max = sliderMax(prices.topUpTiers);
  const orders = Number.isInteger(typed) && typed >= SLIDER_MIN && typed <= max ? typed : DEFAULT_ORDERS;
  const q = topUpQuote(prices.topUpTiers, orders);
  return render(
    c,
    t.t("subscription"),
    <>
      <h1>{t.t("subscription")}</h1>
      <Flash text={state.flash} />
      <div class="card">
        <h2>
          {t.t("plan")}: {plan?.plan.name}
        </h2>
        <p>
          {t.num(plan?.plan.includedOrders ?? 0)} {t.t("ordersPerMonth")} · {t.money(plan?.plan.monthlyPrice ?? 0, prices.currency)} {t.t("perMonth")} ·{" "}
          {t.t("extraOrderPrice")}: {t.money(plan?.plan.extraOrderPrice ?? 0, prices.currency)} ({t.t("exVat")})
        </p>
      </div>
      <h2>
        {t.t("usageThisMonth")} ({t.month(usage.month)})
      </h2>
      <UsageStats t={t} u={usage} />
      <div class="card">
        <h2>{t.t("topUp")}</h2>
        <p>{t.t("topUpIntro")}</p>
        <form method="post" action="/subscription/top-up" id="topup" data-quote="/subscription/quote">
          <Csrf token={c.get("csrf")} />
          <input type="hidden" name="purchaseId" value={`web_${randomToken(12)}`} />
          <div class="slider">
            <div>
              <label for="orders">
                {t.t("orders")}: <output id="topup-orders" for="orders">{orders}</output>
              </label>
              <input id="orders" name="orders" type="range" min={SLIDER_MIN} max={max} step={1} value={String(orders)} class={state.error ? "invalid" : ""} aria-describedby={state.error ? "orders-error" : undefined} />
            </div>
            <div>
              <label for="orders-n">{t.t("ordersNumber")}</label>
              <input id="orders-n" name="orders" type="number" min={SLIDER_MIN} max={max} step={1} value={state.orders ?? String(orders)} inputmode="numeric" class={state.error ? "invalid" : ""} aria-invalid={state.error ? "true" : undefined} aria-describedby={state.error ? "orders-error" : undefined} />
            </div>
          </div>
          <FieldError text={state.error} id="orders-error" />
          <div aria-live="polite" id="topup-live">
            <p>
              {t.t("unitPrice")}: <span id="topup-unit">{t.money(q.unitPrice, prices.currency)}</span>
            </p>
            <p>
              {t.t("price")}:{" "}
              <span id="topup-price" class="price" data-orders={String(orders)}>
                {t.money(q.price, prices.currency)}
              </span>{" "}
              <span class="muted">({t.t("exVat")})</span>
            </p>
            <p id="topup-hint" class="hint">{tierHint(t, prices.topUpTiers, orders, prices.currency)}</p>
          </div>
          <table>
            <thead>
              <tr>
                <th>{t.t("orders")}</th>
                <th>{t.t("unitPrice")}</th>
              </tr>
            </thead>
            <tbody>
              {prices.topUpTiers.map((tier) => (
                <tr>
                  <td>≥ {t.num(tier.minOrders)}</td>
                  <td>{t.money(tier.unitPrice, prices.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <details class="confirm" id="buy">
            <summary class="button">{t.t("buy")}</summary>
            <p>{t.t("buyConfirm")}</p>
            <button type="submit">{t.t("buyReally")}</button>
          </details>
        </form>
      </div>
    </>,
    { status, scripts: ["/assets/slider.js"] },
  );
}

export function subscriptionRoutes(app: Hono<PagesEnv>) {
  app.get("/subscription", (c) => {
    const t = tr(c);
    const b = c.req.query("bought");
    let flash: string | undefined;
    if (b) {
      const [n, price, balance] = b.split(".").map(Number);
      if ([n, price, balance].every(Number.isSafeInteger)) flash = t.t("bought", { n: t.num(n), price: t.money(price), balance: t.num(balance) });
    }
    return page(c, { flash });
  });

  /** The slider's live price: JSON under the page's own session. */
  app.get("/subscription/quote", async (c) => {
    const t = tr(c);
    const orders = Number(c.req.query("orders"));
    const p = await priceList(getDb(c.env));
    const max = sliderMax(p.topUpTiers);
    if (!Number.isInteger(orders) || orders < SLIDER_MIN || orders > max)
      return c.json(errorBody("invalid_request", t.t("invalidNumber", { min: SLIDER_MIN, max })), 400);
    const q = { ...topUpQuote(p.topUpTiers, orders), currency: p.currency };
    return c.json({ ...q, unitPriceText: t.money(q.unitPrice, q.currency), priceText: t.money(q.price, q.currency), hintText: tierHint(t, p.topUpTiers, orders, q.currency) });
  });

  app.post("/subscription/top-up", async (c) => {
    const t = tr(c);
    const body = await c.req.parseBody();
    const raw = String(body.orders ?? "");
    const orders = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
    const max = sliderMax((await priceList(getDb(c.env))).topUpTiers);
    if (!Number.isInteger(orders) || orders < SLIDER_MIN || orders > max)
      return page(c, { orders: raw, error: t.t("invalidNumber", { min: SLIDER_MIN, max }) }, 400);
    const purchaseId = typeof body.purchaseId === "string" && /^[A-Za-z0-9_-]{1,100}$/.test(body.purchaseId) ? body.purchaseId : undefined;
    const user = c.get("user");
    const q = await quoteFor(c, orders);
    const done = await accountStub(c.env, user.tenantId).topUp(orders, purchaseId ?? null, q.price);
    if (!done.duplicate)
      await audit(getDb(c.env), { actor: `user:${user.id}`, action: "tenant.top_up", target: { type: "tenant", id: user.tenantId, tenantId: user.tenantId }, details: { orders: done.orders, price: done.price, purchaseId: done.purchaseId } });
    return c.redirect(`/subscription?bought=${done.orders}.${done.price}.${done.topUpBalance}`, 303);
  });
}
