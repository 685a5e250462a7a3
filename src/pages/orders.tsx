/**
 * The order log (all integrations or one, search, status and category, numbered pages with a total) and
 * one order's page: a human summary of the order, its attempts in words, its credit notes, and "transfer
 * again" (R8) saying what happens to the document that exists; the raw JSON behind a disclosure.
 */
import type { Hono } from "hono";
import { getCreditNote } from "../transfers/credit-note-store";
import { getDb } from "../db/client";
import type { CanonicalOrder } from "../domain/order";
import { ERROR_CATEGORIES } from "../domain/errors";
import { missingForActivation, type Integration } from "../integrations/store";
import { notFound } from "../lib/errors";
import { shopAdapters } from "../modules/adapters";
import { getModule } from "../modules/registry";
import { requestCreditNoteAgain, requestTransferAgain } from "../transfers/transfer-again";
import { getLedgerRow, type LedgerRow } from "../transfers/ledger-store";
import { ledgerDetail, searchLedger } from "../transfers/ledger-view";
import type { PageContext, PagesEnv } from "./auth";
import { errorHelp } from "../words/error-help";
import type { T } from "../words/i18n";
import { tenantIntegration, tenantIntegrations, userAudit } from "./integrations";
import { Badge, Csrf, FieldError, Flash, render, tr } from "./layout";

const STATUSES = ["pending", "transferred", "failed", "skipped"] as const;
const PAGE_SIZE = 50;

async function tenantOrder(c: PageContext) {
  const integration = await tenantIntegration(c, c.req.param("id") ?? "");
  const orderId = c.req.param("orderId") ?? "";
  const row = orderId.length <= 100 ? await getLedgerRow(getDb(c.env), integration.id, orderId) : undefined;
  if (!row) throw notFound("Order");
  return { integration, row };
}

/** The order as received, read by its shop's mapper; null when it cannot be read. */
function readOrder(shopModule: string, received: string | null): CanonicalOrder | null {
  if (!received) return null;
  try {
    return shopAdapters[shopModule]?.toOrder(JSON.parse(received), {}) ?? null;
  } catch {
    return null;
  }
}

const customerOf = (o: CanonicalOrder | null) => (o ? [o.customer.company, o.customer.name].filter(Boolean).join(" · ") || o.customer.email || "" : "");

/** What "transfer again" does to the document that exists, in words. */
function againText(t: T, row: LedgerRow) {
  const document = row.documentNumber ? `${t.code(row.documentType)} ${row.documentNumber}` : "";
  if (row.status === "transferred" && document) return t.t("transferAgainNew", { document });
  if (document) return t.t("transferAgainCompletes", { document });
  return t.t("transferAgainFresh");
}

async function orderPage(c: PageContext, state: { flash?: string; error?: string; confirmError?: string } = {}, status: 200 | 400 | 422 = 200) {
  const t = tr(c);
  const { integration, row } = await tenantOrder(c);
  const d = await ledgerDetail(getDb(c.env), row);
  const order = readOrder(integration.shopModule, row.received);
  const cur = order?.currency ?? row.currency ?? "DKK";
  const json = (v: unknown) => (v === null || v === undefined ? t.t("none") : typeof v === "string" ? v : JSON.stringify(v, null, 2));
  const help = { shopModule: integration.shopModule, accountingModule: integration.accountingModule, orderNumber: d.orderNumber };
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
        <table class="facts">
          <tbody>
            <tr><th>{t.t("integration")}</th><td>{integration.name ?? integration.id}</td></tr>
            {d.reason && <tr><th>{t.t("reason")}</th><td>{t.code(d.reason)}</td></tr>}
            {d.error && (
              <>
                <tr><th>{t.t("category")}</th><td>{t.code(d.error.category)}</td></tr>
                <tr><th>{t.t("hint")}</th><td id="hint">{errorHelp(t.lang, d.error.category, { ...help, message: d.error.message })}</td></tr>
                <tr><th>{t.t("originalMessage")}</th><td lang="en" class="muted">{d.error.message}</td></tr>
              </>
            )}
            {d.document && <tr><th>{t.t("document")}</th><td id="document">{t.code(d.document.type)} {d.document.number}</td></tr>}
            {order && <tr><th>{t.t("orderDate")}</th><td>{t.day(order.createdAt)}</td></tr>}
            {order && <tr><th>{t.t("customer")}</th><td id="customer">{customerOf(order)}{order.customer.email && <span class="muted"> {order.customer.email}</span>}</td></tr>}
            <tr><th>{t.t("source")}</th><td>{t.code(d.source)}</td></tr>
            <tr><th>{t.t("received")}</th><td>{t.when(d.receivedAt)}</td></tr>
            {d.transferredAt && <tr><th>{t.t("transferred")}</th><td>{t.when(d.transferredAt)}</td></tr>}
          </tbody>
        </table>
      </div>
      {order ? (
        <div class="card">
          <h2>{t.t("orderLines")}</h2>
          <table id="lines" class="cards">
            <thead>
              <tr><th>{t.t("product")}</th><th>{t.t("quantity")}</th><th class="num">{t.t("netAmount")}</th><th class="num">{t.t("vat")}</th></tr>
            </thead>
            <tbody>
              {order.lines.map((l) => (
                <tr>
                  <td data-label={t.t("product")}>{l.description}{l.sku && <span class="muted"> ({l.sku})</span>}</td>
                  <td data-label={t.t("quantity")}>{t.num(l.quantity)}</td>
                  <td data-label={t.t("netAmount")} class="num">{t.money(l.netTotal, cur)}</td>
                  <td data-label={t.t("vat")} class="num">{t.money(l.vatAmount, cur)}</td>
                </tr>
              ))}
              {order.shipping.map((l) => (
                <tr><td data-label={t.t("product")}>{t.t("shipping")}: {l.description}</td><td data-label={t.t("quantity")}></td><td data-label={t.t("netAmount")} class="num">{t.money(l.netAmount, cur)}</td><td data-label={t.t("vat")} class="num">{t.money(l.vatAmount, cur)}</td></tr>
              ))}
              {order.fees.map((l) => (
                <tr><td data-label={t.t("product")}>{t.t("fees")}: {l.description}</td><td data-label={t.t("quantity")}></td><td data-label={t.t("netAmount")} class="num">{t.money(l.netAmount, cur)}</td><td data-label={t.t("vat")} class="num">{t.money(l.vatAmount, cur)}</td></tr>
              ))}
            </tbody>
          </table>
          <table class="totals" id="totals">
            <tbody>
              <tr><th>{t.t("totalExVat")}</th><td class="num">{t.money(order.totals.net, cur)}</td></tr>
              <tr><th>{t.t("vat")}</th><td class="num">{t.money(order.totals.vat, cur)}</td></tr>
              <tr><th>{t.t("totalInclVat")}</th><td class="num"><b>{t.money(order.totals.gross, cur)}</b></td></tr>
            </tbody>
          </table>
        </div>
      ) : (
        <p class="muted">{t.t("orderUnreadable")}</p>
      )}
      <div class="card" id="credit-notes">
        <h2>{t.t("creditNotes")}</h2>
        {d.creditNotes.length === 0 ? (
          <p class="muted">{t.t("noCreditNotes")}</p>
        ) : (
          <table class="cards">
            <thead><tr><th>{t.t("refund")}</th><th>{t.t("status")}</th><th class="num">{t.t("amount")}</th><th>{t.t("document")}</th><th>{t.t("hint")}</th><th>{t.t("transferAgain")}</th></tr></thead>
            <tbody>
              {d.creditNotes.map((n) => (
                <tr data-refund={n.refundId}>
                  <td data-label={t.t("refund")}>{n.refundId} <span class="muted">{t.day(n.receivedAt)}</span></td>
                  <td data-label={t.t("status")}><Badge t={t} code={n.status} /></td>
                  <td data-label={t.t("amount")} class="num">{t.money(n.amount, n.currency ?? cur)}</td>
                  <td data-label={t.t("document")}>{n.document ? `${t.code(n.document.type)} ${n.document.number}` : ""}</td>
                  <td data-label={t.t("hint")}>{n.error ? errorHelp(t.lang, n.error.category, { ...help, message: n.error.message }) : ""}</td>
                  <td data-label={t.t("transferAgain")}>
                    {(n.status === "failed" || n.status === "transferred") && (
                      <form method="post" action={`/integrations/${integration.id}/orders/${encodeURIComponent(d.orderId)}/refunds/${encodeURIComponent(n.refundId)}/transfer-again`}>
                        <Csrf token={c.get("csrf")} />
                        <label class="check">
                          <input type="checkbox" name="confirm" value="yes" required /> {t.t(n.status === "transferred" ? "creditAgainConfirmNew" : "creditAgainConfirm")}
                        </label>
                        <button type="submit" class="secondary">{t.t("transferAgain")}</button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div class="card">
        <h2>{t.t("transferAgain")}</h2>
        <p id="again-effect">{againText(t, row)}</p>
        <form method="post" action={`/integrations/${integration.id}/orders/${encodeURIComponent(d.orderId)}/transfer-again`}>
          <Csrf token={c.get("csrf")} />
          <label class="check">
            <input type="checkbox" name="confirm" value="yes" required aria-describedby={state.confirmError ? "confirm-error" : "again-effect"} /> {t.t("transferAgainConfirm")}
          </label>
          <FieldError text={state.confirmError} id="confirm-error" />
          <p>
            <button type="submit">{t.t("transferAgain")}</button>
          </p>
        </form>
      </div>
      <h2>{t.t("attempts")}</h2>
      {d.attempts.length === 0 ? (
        <p class="muted">{t.t("attemptsNone")}</p>
      ) : (
        <table id="attempts" class="cards">
          <thead>
            <tr><th>{t.t("at")}</th><th>{t.t("outcome")}</th><th>{t.t("category")}</th><th>{t.t("originalMessage")}</th></tr>
          </thead>
          <tbody>
            {d.attempts.map((a) => (
              <tr>
                <td data-label={t.t("at")}>{t.when(a.at)}</td>
                <td data-label={t.t("outcome")}>{t.code(a.outcome)}</td>
                <td data-label={t.t("category")}>{t.code(a.category)}</td>
                <td data-label={t.t("originalMessage")} lang="en" class="muted">{a.message ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details class="raw">
        <summary>{t.t("rawData")}</summary>
        <div class="cols">
          <div>
            <h3>{t.t("orderAsReceived")}</h3>
            <pre id="received">{json(d.received)}</pre>
          </div>
          <div>
            <h3>{t.t("documentAsSent")}</h3>
            <pre id="sent">{json(d.sent)}</pre>
          </div>
        </div>
      </details>
    </>,
    { status },
  );
}

export function orderRoutes(app: Hono<PagesEnv>) {
  app.get("/log", async (c) => {
    const t = tr(c);
    const all = await tenantIntegrations(c);
    const q = (k: string) => (c.req.query(k) ?? "").slice(0, 200);
    const integration: Integration | undefined = q("integration") ? await tenantIntegration(c, q("integration")) : undefined;
    const status = (STATUSES as readonly string[]).includes(q("status")) ? q("status") : "";
    const category = (ERROR_CATEGORIES as readonly string[]).includes(q("category")) ? q("category") : "";
    const search = q("q").trim();
    const refunded = q("refunded") === "1";
    const page = Math.max(1, Math.min(10_000, Number.parseInt(q("page"), 10) || 1));
    const filter = { tenantId: c.get("user").tenantId, integrationId: integration?.id, status: status || undefined, category: category || undefined, q: search || undefined, refunded };
    const found = await searchLedger(getDb(c.env), filter, { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE });
    const byId = new Map(all.map((i) => [i.id, i]));
    const filtered = !!(integration || status || category || search || refunded);
    const link = (p: number) =>
      `/log?${new URLSearchParams({ ...(integration ? { integration: integration.id } : {}), ...(status ? { status } : {}), ...(category ? { category } : {}), ...(search ? { q: search } : {}), ...(refunded ? { refunded: "1" } : {}), ...(p > 1 ? { page: String(p) } : {}) })}`;
    const from = found.total === 0 ? 0 : (page - 1) * PAGE_SIZE + 1;
    const to = (page - 1) * PAGE_SIZE + found.rows.length;
    return render(
      c,
      t.t("log"),
      <>
        <h1>{t.t("log")}</h1>
        <form method="get" action="/log" class="filters card" role="search">
          <div class="wide">
            <label for="q">{t.t("searchLabel")}</label>
            <input id="q" name="q" type="search" value={search} maxlength={200} />
          </div>
          <div>
            <label for="integration">{t.t("integration")}</label>
            <select id="integration" name="integration">
              <option value="">{t.t("logAll")}</option>
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
            <label for="refunded">
              <input id="refunded" name="refunded" type="checkbox" value="1" checked={refunded} /> {t.t("onlyRefunded")}
            </label>
          </div>
          <div class="actions">
            <button type="submit">{t.t("search")}</button> {filtered && <a href="/log">{t.t("resetFilters")}</a>}
          </div>
        </form>
        <p id="counts" class="muted">
          {STATUSES.filter((s) => found.byStatus[s]).map((s, n) => (
            <>{n > 0 && " · "}{t.code(s)}: {t.num(found.byStatus[s] ?? 0)}</>
          ))}
        </p>
        {found.rows.length === 0 ? (
          <div class="card" id="empty">
            <p>{filtered ? t.t("noMatches") : t.t("noOrders")}</p>
            {filtered && <p><a class="button secondary" href="/log">{t.t("resetFilters")}</a></p>}
          </div>
        ) : (
          <table id="log" class="cards">
            <thead>
              <tr>
                <th>{t.t("order")}</th><th>{t.t("orderDate")}</th><th>{t.t("customer")}</th><th class="num">{t.t("amount")}</th><th>{t.t("status")}</th><th>{t.t("hint")}</th><th>{t.t("document")}</th>{!integration && <th>{t.t("integration")}</th>}
              </tr>
            </thead>
            <tbody>
              {found.rows.map((r) => {
                const i = byId.get(r.integrationId);
                const o = i ? readOrder(i.shopModule, r.received) : null;
                const help = i && r.status === "failed" && r.errorCategory ? errorHelp(t.lang, r.errorCategory, { shopModule: i.shopModule, accountingModule: i.accountingModule, orderNumber: r.orderNumber, message: r.errorMessage ?? "" }) : "";
                return (
                  <tr data-order={r.shopOrderId} data-status={r.status}>
                    <td data-label={t.t("order")}><a href={`/integrations/${r.integrationId}/orders/${encodeURIComponent(r.shopOrderId)}`}>{r.orderNumber}</a></td>
                    <td data-label={t.t("orderDate")}>{t.day(r.orderCreatedAt ?? o?.createdAt ?? r.receivedAt)}</td>
                    <td data-label={t.t("customer")}>{customerOf(o)}</td>
                    <td data-label={t.t("amount")} class="num">{r.totalGross !== null && r.currency ? t.money(r.totalGross, r.currency) : o ? t.money(o.totals.gross, o.currency) : ""}</td>
                    <td data-label={t.t("status")}><Badge t={t} code={r.status} />{r.reason && <span class="muted"> {t.code(r.reason)}</span>}</td>
                    <td data-label={t.t("hint")}>{r.errorCategory && r.status === "failed" && <b>{t.code(r.errorCategory)}. </b>}{help}</td>
                    <td data-label={t.t("document")}>{r.documentNumber ? `${t.code(r.documentType)} ${r.documentNumber}` : ""}</td>
                    {!integration && <td data-label={t.t("integration")}>{i?.name ?? `${getModule("shop", i?.shopModule ?? "")?.name ?? ""} → ${getModule("accounting", i?.accountingModule ?? "")?.name ?? ""}`}</td>}
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {found.total > 0 && (
          <nav class="pager row" aria-label={t.t("log")}>
            {page > 1 ? <a href={link(page - 1)} rel="prev">← {t.t("previousPage")}</a> : <span />}
            <span id="showing">{t.t("showing", { from: t.num(from), to: t.num(to), total: t.num(found.total) })}</span>
            {to < found.total && <a href={link(page + 1)} rel="next">{t.t("nextPage")} →</a>}
          </nav>
        )}
      </>,
    );
  });

  app.get("/integrations/:id/orders/:orderId", (c) => {
    const done = c.req.query("done");
    return orderPage(c, done === "again" ? { flash: tr(c).t("transferAgainQueued") } : done === "credit-again" ? { flash: tr(c).t("creditAgainQueued") } : {});
  });

  // A credit note again (R8 for a refund): the same function as the staff API's.
  app.post("/integrations/:id/orders/:orderId/refunds/:refundId/transfer-again", async (c) => {
    const t = tr(c);
    const { integration, row } = await tenantOrder(c);
    const note = await getCreditNote(getDb(c.env), integration.id, row.shopOrderId, c.req.param("refundId"));
    if (!note) return orderPage(c, { error: t.t("refundUnknown") }, 400);
    const body = await c.req.parseBody();
    if (body.confirm !== "yes") return orderPage(c, { error: t.t("transferAgainMustConfirm") }, 400);
    const missing = await missingForActivation(c.env, integration);
    if (missing.length) return orderPage(c, { error: `${t.t("missingTitle")} ${missing.join(", ")}` }, 422);
    await requestCreditNoteAgain(c.env, note, userAudit(c, "refund.transfer_again", { type: "refund", id: `${integration.id}/${row.shopOrderId}/${note.refundId}` }));
    return c.redirect(`/integrations/${integration.id}/orders/${encodeURIComponent(row.shopOrderId)}?done=credit-again`, 303);
  });

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
