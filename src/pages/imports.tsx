/** Imports (R13–R19): status, progress, preflight, errors by category, billing, and the customer's approval of the test transfer (R15). */
import { desc, eq } from "drizzle-orm";
import type { Hono } from "hono";
import { getDb } from "../db/client";
import { imports } from "../db/schema";
import { approveImport, importErrors, importView, type ImportRow } from "../imports/service";
import { ApiError, notFound } from "../lib/errors";
import { getLedgerRow } from "../transfers/ledger-store";
import { ledgerDetail } from "../transfers/ledger-view";
import type { PageContext, PagesEnv } from "./auth";
import type { T } from "./i18n";
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
  return (
    <div>
      <progress max={total} value={Math.min(done, total)} aria-label={t.t("progress")}></progress>{" "}
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

async function detailPage(c: PageContext, row: ImportRow, state: { note?: string; error?: string; flash?: string } = {}, status: 200 | 400 | 409 = 200) {
  const t = tr(c);
  const v = await importView(c.env, row);
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
      <Flash text={state.flash} />
      <Flash text={state.error} error />
      <div class="card">
        <h2>{t.t("progress")}</h2>
        <Progress t={t} v={v} />
        {v.preflight && (
          <>
            <h2>{t.t("preflight")}</h2>
            <p>
              {t.code(v.preflight.status)} · {t.t("found")}: {t.num(v.preflight.ordersFound)}
            </p>
            <Categories t={t} counts={v.preflight.errorsByCategory} />
          </>
        )}
        <h2>{t.t("errorsByCategory")}</h2>
        <Categories t={t} counts={v.errorsByCategory} />
        {errs.items.length > 0 && (
          <table>
            <thead>
              <tr><th>{t.t("order")}</th><th>{t.t("category")}</th><th>{t.t("message")}</th><th>{t.t("hint")}</th></tr>
            </thead>
            <tbody>
              {errs.items.slice(0, 200).map((e) => (
                <tr><td>{e.orderNumber}</td><td>{t.code(e.category)}</td><td>{e.message}</td><td>{e.hint}</td></tr>
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
                {t.code(tt.error.category)}: {tt.error.message} — {tt.error.hint}
              </p>
            )}
            {detail && (
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
            )}
          </>
        ) : (
          <p class="muted">{t.t("noTestTransfer")}</p>
        )}
        {v.approval ? (
          <p id="approved">
            <Badge t={t} code="approved" /> {t.short((v.approval as { at?: string }).at)} {(v.approval as { note?: string }).note ?? ""}
          </p>
        ) : (
          v.status === "draft" &&
          tt?.status === "transferred" && (
            <form method="post" action={`/imports/${row.id}/approve`}>
              <Csrf token={c.get("csrf")} />
              <label for="note">{t.t("approveNote")}</label>
              <textarea id="note" name="note" maxlength={2000}>{state.note ?? ""}</textarea>
              <FieldError text={status === 400 ? state.error : undefined} />
              <p>
                <button type="submit">{t.t("approve")}</button>
              </p>
            </form>
          )
        )}
      </div>
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
    { status },
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
    if (note.length > 2000) return detailPage(c, row, { note, error: "max 2000" }, 400);
    try {
      await approveImport(c.env, row.id, { by: "customer", actor: `user:${c.get("user").id}`, note: note || undefined });
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) return detailPage(c, row, { note, error: e.message }, 409);
      throw e;
    }
    return c.redirect(`/imports/${row.id}?done=approved`, 303);
  });
}
