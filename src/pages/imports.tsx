/** Imports (R13–R19): status, progress, preflight, errors by category, billing, and the customer's approval of the test transfer (R15). */
import { desc, eq } from "drizzle-orm";
import type { Hono } from "hono";
import { getDb } from "../db/client";
import { imports } from "../db/schema";
import { accountStub } from "../account/client";
import { priceList, tenantPlan } from "../account/prices";
import { loadIntegration } from "../integrations/store";
import { approveImport, importErrors, importView, type ImportRow } from "../imports/service";
import { ApiError, notFound } from "../lib/errors";
import { getLedgerRow } from "../transfers/ledger-store";
import { ledgerDetail } from "../transfers/ledger-view";
import type { PageContext, PagesEnv } from "./auth";
import { errorHelp } from "../words/error-help";
import type { T } from "../words/i18n";
import { pauseWords } from "../words/import-words";
import { Badge, Csrf, FieldError, Flash, render, tr } from "./layout";

async function tenantImport(c: PageContext, id: string): Promise<ImportRow> {
  const row = id.length <= 100 ? await getDb(c.env).select().from(imports).where(eq(imports.id, id)).get() : undefined;
  if (!row || row.tenantId !== c.get("user").tenantId) throw notFound("Import");
  return row;
}

type View = Awaited<ReturnType<typeof importView>>;

function Progress(p: { t: T; v: View }) {
  const { t, v } = p;
  const total = Math.max(v.progress.found, v.estimatedOrders, 1);
  const done = v.progress.transferred + v.progress.failed + v.progress.skipped;
  const pct = Math.floor((Math.min(done, total) * 100) / total);
  return (
    <div>
      <progress max={total} value={Math.min(done, total)} aria-label={t.t("progress")}></progress>{" "}
      <b class="progress-of">{t.t("progressOf", { n: t.num(done), total: t.num(total), pct: t.num(pct) })}</b>
      <br />
      <span class="muted">
        {t.t("found")} {t.num(v.progress.found)} · {t.t("transferred")} {t.num(v.progress.transferred)} · {t.t("failed")} {t.num(v.progress.failed)} · {t.t("skipped")}{" "}
        {t.num(v.progress.skipped)} · {t.t("pending")} {t.num(v.progress.pending)}
        {v.progress.ordersPerMinute !== undefined ? ` · ${t.num(v.progress.ordersPerMinute)} ${t.t("ordersPerMinute")}` : ""}
        {v.progress.etaSeconds !== undefined ? ` · ${t.t("etaMinutes").replace("{n}", t.num(Math.max(1, Math.ceil(v.progress.etaSeconds / 60))))}` : ""}
      </span>
    </div>
  );
}

function Categories(p: { t: T; counts: Record<string, number> }) {
  const entries = Object.entries(p.counts);
  if (!entries.length) return <p class="muted">{p.t.t("none")}</p>;
  return (
    <ul>
      {entries.map(([k, n]) => (
        <li>
          {p.t.code(k)}: <b>{p.t.num(n)}</b>
        </li>
      ))}
    </ul>
  );
}

const STEPS = ["stepPreflight", "stepTest", "stepApproval", "stepRunning", "stepDone"] as const;

/** Where the import stands: forhåndstjek → testoverførsel → godkendelse → i gang → færdig. */
function stepOf(v: View): number {
  if (v.status === "completed") return 4;
  if (v.status === "approved" || v.status === "running" || v.status === "paused") return 3;
  if ((v.testTransfer as { status?: string } | undefined)?.status === "transferred") return 2;
  if (v.preflight?.status === "done") return 1;
  return 0;
}

function Steps(p: { t: T; v: View }) {
  const at = stepOf(p.v);
  // Approved and not started yet: the steps so far are done, the next one has not begun.
  const waiting = p.v.status === "approved";
  return (
    <ol class="steps" id="steps">
      {STEPS.map((k, n) => (
        <li class={n < at ? "done" : n === at && !waiting ? "current" : ""} aria-current={n === at && !waiting ? "step" : undefined}>
          {p.t.t(k)}
        </li>
      ))}
    </ol>
  );
}

/** 25 % Danish VAT on our own price (integer minor units). */
const danishVat = (minor: number) => Math.round(minor / 4);

type Quote = Awaited<ReturnType<typeof draftQuote>>;

/** The price of a draft import as the customer approves it: its estimate, the accepted technician time, the month's live counters. */
async function draftQuote(env: Env, row: ImportRow) {
  const db = getDb(env);
  const [{ plan, currency }, prices] = await Promise.all([tenantPlan(db, row.tenantId), priceList(db)]);
  const q = await accountStub(env, row.tenantId).quote(row.estimatedOrders, plan, { minutes: row.acceptedHalfHours * 30, halfHourPrice: prices.technicianHalfHourPrice });
  return { ...q, currency };
}

function QuoteTable(p: { t: T; q: Quote }) {
  const { t, q } = p;
  const vat = danishVat(q.total);
  return (
    <>
      <table class="totals" id="quote">
        <tbody>
          <tr><th>{t.t("quoteIncluded")}</th><td class="num">{t.num(q.fromIncluded)} {t.t("orders").toLowerCase()}</td><td class="num">{t.money(0, q.currency)}</td></tr>
          <tr><th>{t.t("quotePrepaid")}</th><td class="num">{t.num(q.fromTopUp)} {t.t("orders").toLowerCase()}</td><td class="num">{t.money(0, q.currency)}</td></tr>
          <tr><th>{t.t("quoteExtra", { price: t.money(q.extraOrderPrice, q.currency) })}</th><td class="num">{t.num(q.extraOrders)} {t.t("orders").toLowerCase()}</td><td class="num">{t.money(q.extraOrdersCost, q.currency)}</td></tr>
          <tr><th>{t.t("quoteTech", { n: t.num(q.technicianHalfHours) })}</th><td></td><td class="num">{t.money(q.technicianCost, q.currency)}</td></tr>
          <tr><th>{t.t("totalExVat")}</th><td></td><td class="num"><b>{t.money(q.total, q.currency)}</b></td></tr>
          <tr><th>{t.t("vat25")}</th><td></td><td class="num">{t.money(vat, q.currency)}</td></tr>
          <tr><th>{t.t("totalInclVat")}</th><td></td><td class="num">{t.money(q.total + vat, q.currency)}</td></tr>
        </tbody>
      </table>
      <p id="quote-effect">
        {q.fromIncluded > 0
          ? t.t("quoteEffect", { n: t.num(q.fromIncluded), remaining: t.num(q.remainingIncluded), month: t.month(q.month), left: t.num(q.remainingIncluded - q.fromIncluded) })
          : t.t("quoteEffectNone", { month: t.month(q.month) })}
      </p>
    </>
  );
}

async function detailPage(c: PageContext, row: ImportRow, state: { note?: string; error?: string; flash?: string; acceptError?: string } = {}, status: 200 | 400 | 409 = 200) {
  const t = tr(c);
  const v = await importView(c.env, row);
  const integration = await loadIntegration(c.env, row.integrationId);
  const help = { shopModule: integration?.shopModule, accountingModule: integration?.accountingModule };
  // Until the run starts the price is the quote; after that, the billing of what was charged.
  const quote = v.status === "draft" || v.status === "approved" ? await draftQuote(c.env, row) : null;
  const busy = v.status === "running" || v.preflight?.status === "running";
  const found = v.preflight?.ordersFound ?? 0;
  const errs = await importErrors(c.env, row);
  const tt = v.testTransfer as { orderId?: string; status?: string; document?: { type: string; number: string }; error?: { category: string; message: string; hint: string } } | undefined;
  const ledgerRow = tt?.orderId ? await getLedgerRow(getDb(c.env), row.integrationId, tt.orderId) : undefined;
  const detail = ledgerRow ? await ledgerDetail(getDb(c.env), ledgerRow) : null;
  const json = (x: unknown) => (x == null ? t.t("none") : typeof x === "string" ? x : JSON.stringify(x, null, 2));
  const b = v.billing;
  return render(
    c,
    `${t.t("imports")} ${v.fromDate}`,
    <>
      <p>
        <a href="/imports">← {t.t("imports")}</a>
      </p>
      <h1>
        {t.t("imports")}: {v.fromDate} – {v.toDate} <Badge t={t} code={v.status} />
      </h1>
      <Steps t={t} v={v} />
      <Flash text={state.flash} />
      <Flash text={status === 400 ? undefined : state.error} error />
      {v.status === "paused" && (
        <div class="flash error" role="alert" id="paused">
          <p><b>{t.t("pausedTitle")}.</b> {pauseWords(t.lang, v.pauseReason ?? "staff").why.replace("{found}", t.num(Math.max(v.progress.found, found))).replace("{estimated}", t.num(v.estimatedOrders))}</p>
          <p>{pauseWords(t.lang, v.pauseReason ?? "staff").todo}</p>
          {v.pauseMessage && <p class="muted" lang="en">{t.t("originalMessage")}: {v.pauseMessage}</p>}
        </div>
      )}
      {v.preflight?.shopError && (
        <div class="flash error" role="alert" id="shop-error">
          <p><b>{t.t("shopErrorTitle")}</b> {t.t("shopErrorTodo")}</p>
          <p class="muted" lang="en">{t.t("originalMessage")}: {v.preflight.shopError}</p>
        </div>
      )}
      {found > v.estimatedOrders && (
        <div class="flash error" role="alert" id="more-than-estimate">
          {t.t("moreThanEstimate", { found: t.num(found), estimated: t.num(v.estimatedOrders) })} {found > v.estimatedOrders * 1.25 ? t.t("moreThanEstimatePause") : t.t("moreThanEstimateOk")}
        </div>
      )}
      <div class="card">
        <h2>{t.t("progress")}</h2>
        <Progress t={t} v={v} />
        {busy && <p class="muted" id="refreshes">{t.t("refreshes")}</p>}
        {v.preflight && (
          <>
            <h2>{t.t("preflight")}</h2>
            <p>
              {t.code(v.preflight.status)} · {t.t("found")}: {t.num(v.preflight.ordersFound)} / {t.num(v.estimatedOrders)}
            </p>
            {!!v.preflight.refundsFound && <p id="refunds-found">{t.t("refundsFound", { n: t.num(v.preflight.refundsFound) })}</p>}
            <Categories t={t} counts={v.preflight.errorsByCategory} />
          </>
        )}
        <h2>{t.t("errorsByCategory")}</h2>
        <Categories t={t} counts={v.errorsByCategory} />
        {errs.items.length > 0 && (
          <table class="cards" id="failed-orders" aria-label={t.t("failedOrders")}>
            <thead>
              <tr><th>{t.t("order")}</th><th>{t.t("category")}</th><th>{t.t("hint")}</th></tr>
            </thead>
            <tbody>
              {errs.items.slice(0, 200).map((e) => (
                <tr>
                  <td data-label={t.t("order")}><a href={`/integrations/${row.integrationId}/orders/${encodeURIComponent(e.orderId)}`}>{e.orderNumber}</a></td>
                  <td data-label={t.t("category")}>{t.code(e.category)}</td>
                  <td data-label={t.t("hint")}>{errorHelp(t.lang, e.category, { ...help, orderNumber: e.orderNumber, message: e.message })}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div class="card" id="test-transfer">
        <h2>{t.t("testTransfer")}</h2>
        {tt ? (
          <>
            <p>
              {t.t("order")} {ledgerRow?.orderNumber ?? tt.orderId}: <Badge t={t} code={tt.status ?? "pending"} />{" "}
              {tt.document && `${t.code(tt.document.type)} ${tt.document.number}`}
            </p>
            {tt.error && (
              <p>
                <b>{t.code(tt.error.category)}.</b> {errorHelp(t.lang, tt.error.category, { ...help, message: tt.error.message })} <span class="muted" lang="en">{tt.error.message}</span>
              </p>
            )}
            {ledgerRow && <p><a href={`/integrations/${row.integrationId}/orders/${encodeURIComponent(ledgerRow.shopOrderId)}`}>{t.t("details")} →</a></p>}
            {detail && (
              <details class="raw">
                <summary>{t.t("rawData")}</summary>
                <div class="cols">
                  <div>
                    <h3>{t.t("orderAsReceived")}</h3>
                    <pre>{json(detail.received)}</pre>
                  </div>
                  <div>
                    <h3>{t.t("documentAsSent")}</h3>
                    <pre>{json(detail.sent)}</pre>
                  </div>
                </div>
              </details>
            )}
          </>
        ) : (
          <p class="muted">{t.t("noTestTransfer")}</p>
        )}
        {v.approval ? (
          <p id="approved">
            <Badge t={t} code="approved" /> {t.when((v.approval as { at?: string }).at)} {(v.approval as { note?: string }).note ?? ""}
          </p>
        ) : (
          v.status === "draft" &&
          tt?.status === "transferred" && (
            <form method="post" action={`/imports/${row.id}/approve`} id="approve">
              <Csrf token={c.get("csrf")} />
              {quote && (
                <>
                  <h3>{t.t("quoteTitle")}</h3>
                  <QuoteTable t={t} q={quote} />
                </>
              )}
              <label for="note">{t.t("approveNote")}</label>
              <textarea id="note" name="note" maxlength={2000} aria-describedby={status === 400 && state.error ? "note-error" : undefined}>{state.note ?? ""}</textarea>
              <FieldError text={status === 400 ? state.error : undefined} id="note-error" />
              <label class="check">
                <input type="checkbox" name="accept" value="yes" required aria-describedby={state.acceptError ? "accept-error" : undefined} />{" "}
                {t.t("approveAccept", { price: quote ? t.money(quote.total, quote.currency) : "" })}
              </label>
              <FieldError text={state.acceptError} id="accept-error" />
              <p>
                <button type="submit">{quote ? t.t("approveFor", { price: t.money(quote.total, quote.currency) }) : t.t("approve")}</button>
              </p>
            </form>
          )
        )}
      </div>
      {quote && !(v.status === "draft" && tt?.status === "transferred") && (
        <div class="card">
          <h2>{t.t("quoteTitle")}</h2>
          <QuoteTable t={t} q={quote} />
        </div>
      )}
      <div class="card">
        <h2>{t.t("billing")}</h2>
        <table>
          <tbody>
            <tr><th>{t.t("fromIncluded")}</th><td>{t.num(b.fromIncluded)}</td></tr>
            <tr><th>{t.t("fromTopUp")}</th><td>{t.num(b.fromTopUp)}</td></tr>
            <tr><th>{t.t("extraOrders")}</th><td>{t.num(b.extraOrders)} · {t.money(b.extraOrdersCost, b.currency)}</td></tr>
            <tr><th>{t.t("technicianCost")}</th><td>{t.num(b.technicianHalfHours)} × ½ t · {t.money(b.technicianCost, b.currency)}</td></tr>
            <tr><th>{t.t("total")}</th><td><b>{t.money(b.total, b.currency)}</b> ({t.t("exVat")})</td></tr>
          </tbody>
        </table>
      </div>
    </>,
    { status, refresh: busy ? 15 : undefined },
  );
}

export function importRoutes(app: Hono<PagesEnv>) {
  app.get("/imports", async (c) => {
    const t = tr(c);
    const rows = await getDb(c.env).select().from(imports).where(eq(imports.tenantId, c.get("user").tenantId)).orderBy(desc(imports.createdAt)).all();
    const views = await Promise.all(rows.map((r) => importView(c.env, r)));
    return render(
      c,
      t.t("imports"),
      <>
        <h1>{t.t("imports")}</h1>
        {views.length === 0 ? (
          <p class="muted">{t.t("noImports")}</p>
        ) : (
          views.map((v) => (
            <div class="card" data-import={v.id}>
              <h2>
                <a href={`/imports/${v.id}`}>
                  {t.t("period")}: {v.fromDate} – {v.toDate}
                </a>{" "}
                <Badge t={t} code={v.status} />
              </h2>
              <Progress t={t} v={v} />
              <Categories t={t} counts={v.errorsByCategory} />
              <p>
                {t.t("billing")}: {t.money(v.billing.total, v.billing.currency)} ({t.t("exVat")})
              </p>
            </div>
          ))
        )}
      </>,
    );
  });

  app.get("/imports/:id", async (c) => {
    const row = await tenantImport(c, c.req.param("id"));
    return detailPage(c, row, c.req.query("done") === "approved" ? { flash: tr(c).t("approvedText") } : {});
  });

  app.post("/imports/:id/approve", async (c) => {
    const row = await tenantImport(c, c.req.param("id"));
    const body = await c.req.parseBody();
    const note = String(body.note ?? "").trim();
    const t = tr(c);
    if (note.length > 2000) return detailPage(c, row, { note, error: t.t("fieldTooLong", { n: t.num(2000) }) }, 400);
    // A paid action: the price shown is accepted in so many words, never by a stray click.
    if (body.accept !== "yes") return detailPage(c, row, { note, acceptError: t.t("approveMustAccept") }, 400);
    try {
      await approveImport(c.env, row.id, { by: "customer", actor: `user:${c.get("user").id}`, note: note || undefined });
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) return detailPage(c, row, { note, error: e.message }, 409);
      throw e;
    }
    return c.redirect(`/imports/${row.id}?done=approved`, 303);
  });
}
