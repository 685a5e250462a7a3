/** The order log (filters by integration, status and category) and one order's page with "transfer again" (R8). */
import type { Hono } from "hono";
import { getDb } from "../db/client";
import { ERROR_CATEGORIES } from "../domain/errors";
import { missingForActivation } from "../integrations/store";
import { ApiError, notFound } from "../lib/errors";
import { requestTransferAgain } from "../staff/routes/orders";
import { getLedgerRow } from "../transfers/ledger-store";
import { ledgerDetail, listLedger } from "../transfers/ledger-view";
import type { PageContext, PagesEnv } from "./auth";
import { tenantIntegration, tenantIntegrations, userAudit } from "./integrations";
import { errorHelp } from "./error-help";
import { Badge, Csrf, FieldError, Flash, render, tr } from "./layout";

const STATUSES = ["pending", "transferred", "failed", "skipped"] as const;

async function tenantOrder(c: PageContext) {
  const integration = await tenantIntegration(c, c.req.param("id") ?? "");
  const orderId = c.req.param("orderId") ?? "";
  const row = orderId.length <= 100 ? await getLedgerRow(getDb(c.env), integration.id, orderId) : undefined;
  if (!row) throw notFound("Order");
  return { integration, row };
}

async function orderPage(c: PageContext, state: { flash?: string; error?: string; confirmError?: string } = {}, status: 200 | 400 | 422 = 200) {
  const t = tr(c);
  const { integration, row } = await tenantOrder(c);
  const d = await ledgerDetail(getDb(c.env), row);
  const json = (v: unknown) => (v === null || v === undefined ? t.t("none") : typeof v === "string" ? v : JSON.stringify(v, null, 2));
  return render(
    c,
    `${t.t("order")} ${d.orderNumber}`,
    <>
      <p>
        <a href={`/log?integration=${integration.id}`}>← {t.t("log")}</a>
      </p>
      <h1>
        {t.t("order")} {d.orderNumber} <Badge t={t} code={d.status} />
      </h1>
      <Flash text={state.flash} />
      <Flash text={state.error} error />
      <div class="card">
        <table>
          <tbody>
            <tr><th>{t.t("status")}</th><td>{t.code(d.status)}</td></tr>
            {d.reason && <tr><th>{t.t("reason")}</th><td>{t.code(d.reason)}</td></tr>}
            {d.error && (
              <>
                <tr><th>{t.t("category")}</th><td>{t.code(d.error.category)}</td></tr>
                <tr><th>{t.t("hint")}</th><td id="hint">{errorHelp(t.lang, d.error.category, { shopModule: integration.shopModule, accountingModule: integration.accountingModule, orderNumber: d.orderNumber, message: d.error.message })}</td></tr>
                <tr><th>{t.t("originalMessage")}</th><td lang="en" class="muted">{d.error.message}</td></tr>
              </>
            )}
            {d.document && <tr><th>{t.t("document")}</th><td>{t.code(d.document.type)} {d.document.number}</td></tr>}
            <tr><th>{t.t("source")}</th><td>{t.code(d.source)}</td></tr>
            <tr><th>{t.t("received")}</th><td>{t.short(d.receivedAt)}</td></tr>
            {d.transferredAt && <tr><th>{t.t("transferred")}</th><td>{t.short(d.transferredAt)}</td></tr>}
          </tbody>
        </table>
      </div>
      <div class="card">
        <h2>{t.t("transferAgain")}</h2>
        <form method="post" action={`/integrations/${integration.id}/orders/${encodeURIComponent(d.orderId)}/transfer-again`}>
          <Csrf token={c.get("csrf")} />
          <label>
            <input type="checkbox" name="confirm" value="yes" required /> {t.t("transferAgainConfirm")}
          </label>
          <FieldError text={state.confirmError} />
          <p>
            <button type="submit">{t.t("transferAgain")}</button>
          </p>
        </form>
      </div>
      <h2>{t.t("attempts")}</h2>
      <table>
        <thead>
          <tr><th>{t.t("at")}</th><th>{t.t("outcome")}</th><th>{t.t("category")}</th><th>{t.t("message")}</th></tr>
        </thead>
        <tbody>
          {d.attempts.map((a) => (
            <tr>
              <td>{t.short(a.at)}</td>
              <td>{a.outcome}</td>
              <td>{t.code(a.category)}</td>
              <td>{a.message ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="cols">
        <div>
          <h2>{t.t("orderAsReceived")}</h2>
          <pre id="received">{json(d.received)}</pre>
        </div>
        <div>
          <h2>{t.t("documentAsSent")}</h2>
          <pre id="sent">{json(d.sent)}</pre>
        </div>
      </div>
    </>,
    { status },
  );
}

export function orderRoutes(app: Hono<PagesEnv>) {
  app.get("/log", async (c) => {
    const t = tr(c);
    const all = await tenantIntegrations(c);
    const asked = c.req.query("integration");
    const integration = asked ? await tenantIntegration(c, asked) : all[0];
    const q = (k: string) => c.req.query(k) ?? "";
    const status = (STATUSES as readonly string[]).includes(q("status")) ? q("status") : "";
    const category = (ERROR_CATEGORIES as readonly string[]).includes(q("category")) ? q("category") : "";
    const cursor = q("cursor").slice(0, 500);
    let page = { items: [] as Awaited<ReturnType<typeof listLedger>>["items"], nextCursor: null as string | null };
    if (integration) {
      try {
        page = await listLedger(getDb(c.env), { integrationId: integration.id, tenantId: c.get("user").tenantId, status: status || undefined, category: category || undefined, limit: 50, cursor: cursor || undefined });
      } catch (e) {
        if (!(e instanceof ApiError)) throw e; // a broken cursor shows the first page
        page = await listLedger(getDb(c.env), { integrationId: integration.id, tenantId: c.get("user").tenantId, status: status || undefined, category: category || undefined, limit: 50 });
      }
    }
    const next = new URLSearchParams({ ...(integration ? { integration: integration.id } : {}), ...(status ? { status } : {}), ...(category ? { category } : {}), cursor: page.nextCursor ?? "" });
    return render(
      c,
      t.t("log"),
      <>
        <h1>{t.t("log")}</h1>
        <form method="get" action="/log" class="row card">
          <div>
            <label for="integration">{t.t("integration")}</label>
            <select id="integration" name="integration">
              {all.map((i) => (
                <option value={i.id} selected={i.id === integration?.id}>{i.name ?? i.id}</option>
              ))}
            </select>
          </div>
          <div>
            <label for="status">{t.t("status")}</label>
            <select id="status" name="status">
              <option value="">{t.t("all")}</option>
              {STATUSES.map((s) => (
                <option value={s} selected={s === status}>{t.code(s)}</option>
              ))}
            </select>
          </div>
          <div>
            <label for="category">{t.t("category")}</label>
            <select id="category" name="category">
              <option value="">{t.t("all")}</option>
              {ERROR_CATEGORIES.map((s) => (
                <option value={s} selected={s === category}>{t.code(s)}</option>
              ))}
            </select>
          </div>
          <div>
            <button type="submit">{t.t("filter")}</button>
          </div>
        </form>
        {page.items.length === 0 ? (
          <p class="muted">{t.t("noOrders")}</p>
        ) : (
          <table id="log">
            <thead>
              <tr>
                <th>{t.t("order")}</th><th>{t.t("status")}</th><th>{t.t("reason")}</th><th>{t.t("category")}</th><th>{t.t("hint")}</th><th>{t.t("document")}</th><th>{t.t("received")}</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((o) => (
                <tr data-order={o.orderId} data-status={o.status}>
                  <td><a href={`/integrations/${integration!.id}/orders/${encodeURIComponent(o.orderId)}`}>{o.orderNumber}</a></td>
                  <td><Badge t={t} code={o.status} /></td>
                  <td>{t.code(o.reason)}</td>
                  <td>{t.code(o.error?.category)}</td>
                  <td>{o.error ? errorHelp(t.lang, o.error.category, { shopModule: integration!.shopModule, accountingModule: integration!.accountingModule, orderNumber: o.orderNumber, message: o.error.message }) : ""}</td>
                  <td>{o.document ? `${t.code(o.document.type)} ${o.document.number}` : ""}</td>
                  <td>{t.short(o.receivedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {page.nextCursor && (
          <p>
            <a href={`/log?${next}`}>{t.t("nextPage")} →</a>
          </p>
        )}
      </>,
    );
  });

  app.get("/integrations/:id/orders/:orderId", (c) => orderPage(c, c.req.query("done") === "again" ? { flash: tr(c).t("transferAgainQueued") } : {}));

  app.post("/integrations/:id/orders/:orderId/transfer-again", async (c) => {
    const t = tr(c);
    const { integration, row } = await tenantOrder(c);
    const body = await c.req.parseBody();
    if (body.confirm !== "yes") return orderPage(c, { confirmError: t.t("transferAgainMustConfirm") }, 400);
    const missing = await missingForActivation(c.env, integration);
    if (missing.length) return orderPage(c, { error: `${t.t("missingTitle")} ${missing.join(", ")}` }, 422);
    await requestTransferAgain(c.env, row, userAudit(c, "order.transfer_again", { type: "order", id: `${integration.id}/${row.shopOrderId}` }));
    return c.redirect(`/integrations/${integration.id}/orders/${encodeURIComponent(row.shopOrderId)}?done=again`, 303);
  });
}
