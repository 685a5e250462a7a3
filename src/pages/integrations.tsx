/**
 * Integration setup: the forms are generated from the modules' zod settings schemas (modules/settings-form.ts),
 * validated by the registry's validateSettings, saved by the store's saveSettings; saving, activation and
 * deactivation are the same functions the staff API uses.
 */
import { eq } from "drizzle-orm";
import { shopModules } from "../modules";
import type { Hono } from "hono";
import { getDb } from "../db/client";
import { audit } from "../db/audit";
import { integrations } from "../db/schema";
import { activateIntegration, deactivateIntegration } from "../integrations/activation";
import { checkConnections, type SideFailure } from "../integrations/connection-check";
import { TransferError } from "../domain/errors";
import { accountingAdapters } from "../modules/adapters";
import { REDACTED } from "../modules/settings";
import type { SettingChoices } from "../modules/types";
import { TransferContext } from "../transfers/transfer";
import { integrationView, loadIntegration, missingForActivation, modulesOf, prepareNewIntegration, saveSettings, type Integration } from "../integrations/store";
import { ApiError, notFound } from "../lib/errors";
import { connectPath, getModule, listModules, secretFields, validateSettings, type ModuleRegistration, type SettingsIssue, type Side } from "../modules/registry";
import { formSpec, readSide, type FieldSpec } from "../modules/settings-form";
import type { PageContext, PagesEnv } from "./auth";
import { errorHelp } from "../words/error-help";
import { settingHelp, settingLabel, stateLabel, type T } from "../words/i18n";
import { Badge, Csrf, FieldError, Flash, render, tr } from "./layout";

/** An integration of the signed-in user's tenant, or 404 (another tenant's id looks like no id at all). */
export async function tenantIntegration(c: PageContext, id: string): Promise<Integration> {
  const row = id.length <= 100 ? await loadIntegration(c.env, id) : undefined;
  if (!row || row.tenantId !== c.get("user").tenantId) throw notFound("Integration");
  return row;
}

export async function tenantIntegrations(c: PageContext) {
  return getDb(c.env).select().from(integrations).where(eq(integrations.tenantId, c.get("user").tenantId)).orderBy(integrations.createdAt).all();
}

/** An audit row of a customer's action, batched with the write. */
export function userAudit(c: PageContext, action: string, target: { type: string; id: string }, details?: Record<string, unknown>) {
  const user = c.get("user");
  return audit(getDb(c.env), { actor: `user:${user.id}`, action, target: { ...target, tenantId: user.tenantId }, details });
}

/** The text shown in a field: what was typed (after an error), else the current value; never a secret. */
function shown(f: FieldSpec, settings: Record<string, unknown>, typed?: Record<string, unknown>): string {
  if (f.secret) return "";
  if (typed && typeof typed[f.name] === "string") return typed[f.name] as string;
  const path = f.name.split(".").slice(1);
  let v: unknown = settings;
  for (const p of path) v = v && typeof v === "object" ? (v as Record<string, unknown>)[p] : undefined;
  if (v === undefined || v === null) return "";
  return Array.isArray(v) ? v.join(", ") : String(v);
}

/** The ticked states of a list: what was posted (after an error), else the current value. */
function chosen(f: FieldSpec, settings: Record<string, unknown>, typed?: Record<string, unknown>): string[] {
  if (typed && f.name in typed) return ([] as unknown[]).concat(typed[f.name]).filter((v): v is string => typeof v === "string");
  const v = settings[f.key];
  return Array.isArray(v) ? v.map(String) : [];
}

function Field(p: { t: T; f: FieldSpec; m: ModuleRegistration; choices?: SettingChoices | null; settings: Record<string, unknown>; typed?: Record<string, unknown>; errors: Record<string, string>; missing: Set<string> }) {
  const { t, f } = p;
  const id = `f-${f.name.replace(/\./g, "-")}`;
  const err = p.errors[f.name] ?? (p.missing.has(f.name) ? t.t("required") : undefined);
  const path = f.name.split(".").slice(1).join(".");
  const title = settingLabel(t.lang, path, p.m);
  const help = settingHelp(t.lang, path, p.m);
  const label = (
    <label for={id}>
      {title ?? f.key}
      {title && <code class="setting-key"> {f.key}</code>}
      {f.required && (
        <span class="req" title={t.t("required")}>
          {" "}*
        </span>
      )}
      {help && <small class="setting-help"> — {help}</small>}
    </label>
  );
  if (f.kind === "object")
    return (
      <fieldset>
        <legend>
          {settingLabel(t.lang, f.name.split(".").slice(1).join("."), p.m) ?? f.key}
          {f.required && <span class="req"> *</span>}
        </legend>
        {f.children!.map((ch) => (
          <Field {...p} f={ch} />
        ))}
      </fieldset>
    );
  const errId = `${id}-error`;
  if (f.kind === "list" && f.options) {
    const ticked = new Set(chosen(f, p.settings, p.typed));
    return (
      <fieldset id={id} aria-describedby={err ? errId : undefined} class={err ? "invalid states" : "states"}>
        <legend>
          {title ?? f.key}
          {title && <code class="setting-key"> {f.key}</code>} <small> — {t.t("allowedStatesHelp")}</small>
        </legend>
        <input type="hidden" name={f.name} value="" />
        {f.options.map((o) => (
          <label class="check">
            <input type="checkbox" name={f.name} value={o} checked={ticked.has(o)} /> {stateLabel(t.lang, p.m.side === "shop" ? p.m.stateNames : undefined, o)}
          </label>
        ))}
        <FieldError text={err} id={errId} />
      </fieldset>
    );
  }
  const value = shown(f, p.settings, p.typed);
  const cls = err ? "invalid" : "";
  const described = err ? errId : undefined;
  let input;
  if (f.secret) {
    const set = p.settings[f.key] === "********";
    input = <input id={id} name={f.name} type="password" autocomplete="new-password" placeholder={set ? t.t("secretSet") : t.t("secretNotSet")} class={cls} data-secret={set ? "set" : "not-set"} aria-invalid={err ? "true" : undefined} aria-describedby={described} />;
  } else if (p.choices?.[path] && (f.kind === "number" || f.kind === "string")) {
    // Read from the merchant's own agreement: chosen by name, the number beside it.
    const opts = p.choices[path];
    input = (
      <select id={id} name={f.name} class={cls} aria-invalid={err ? "true" : undefined} aria-describedby={described} data-choices="agreement">
        <option value="">{t.t("notSet")}</option>
        {value && !opts.some((o) => String(o.value) === value) && <option value={value} selected>{value}</option>}
        {opts.map((o) => (
          <option value={String(o.value)} selected={String(o.value) === value}>
            {o.label} ({o.value})
          </option>
        ))}
      </select>
    );
  } else if (f.kind === "boolean" || f.kind === "enum") {
    const opts = f.kind === "boolean" ? [["true", t.t("yes")], ["false", t.t("no")]] : f.options!.map((o) => [o, settingLabel(t.lang, `${path}:${o}`, p.m) ?? o]);
    input = (
      <select id={id} name={f.name} class={cls} aria-invalid={err ? "true" : undefined} aria-describedby={described}>
        {!value && <option value="">{t.t("notSet")}</option>}
        {opts.map(([v, l]) => (
          <option value={v} selected={v === value}>
            {l}
          </option>
        ))}
      </select>
    );
  } else input = <input id={id} name={f.name} type="text" inputmode={f.kind === "number" ? "numeric" : undefined} value={value} class={cls} aria-invalid={err ? "true" : undefined} aria-describedby={described} />;
  return (
    <div>
      {label}
      {input}
      <FieldError text={err} id={errId} />
    </div>
  );
}

/** A settings issue in the merchant's words (never zod's "Invalid input: expected number, received string"). */
export function fieldMessage(t: T, issue: SettingsIssue): string {
  const key = issue.path.split(".")[0];
  if (issue.code === "unknown") return t.t("fieldUnknown");
  if (issue.code === "shop_url") return t.t("fieldShopUrl");
  if (key === "shopDomain") return t.t("fieldShopDomain");
  if (issue.code === "invalid_type") return issue.expected === "number" ? t.t("fieldNumber") : t.t("fieldFormat");
  const numeric = issue.expected === "number" || issue.expected === "int";
  if (issue.code === "too_small") return numeric ? t.t("fieldMin", { n: t.num(issue.limit ?? 0) }) : issue.expected === "array" ? t.t("fieldStates") : t.t("fieldEmpty");
  if (issue.code === "too_big") return numeric ? t.t("fieldMax", { n: t.num(issue.limit ?? 0) }) : t.t("fieldTooLong", { n: t.num(issue.limit ?? 0) });
  if (issue.code === "invalid_value") return t.t("fieldChoice");
  return t.t("fieldFormat");
}

function StartPoint(p: { t: T; row: Integration }) {
  return <p id="start-point">{p.row.startAt ? p.t.t("startPointFrom", { when: p.t.when(p.row.startAt) }) : p.t.t("startPointOnActivation")}</p>;
}

/**
 * A side's connection (R26): its state, as which shop / agreement / organization and since when, and the
 * Connect (or Reconnect) button of a module with a connect flow.
 */
function ConnectionPanel(p: { t: T; row: Integration; side: Side; m: ModuleRegistration; connection: { status: string; via?: string; account?: string } }) {
  const { t, m, connection } = p;
  const stored = p.side === "shop" ? p.row.shopConnection : p.row.accountingConnection;
  const route = m.connect ? connectPath(m, "start") : undefined;
  const again = connection.status === "needs_reconnect" || connection.via === "oauth";
  return (
    <div class="connection" id={`connection-${p.side}`} data-status={connection.status}>
      <p>
        <strong>{t.t("connectionState")}:</strong> <Badge t={t} code={connection.status} />
        {connection.account && <span class="account"> {t.t("connectedAs", { account: connection.account })}</span>}
        {stored?.connectedAt && <span class="since">, {t.t("connectedSince", { when: t.when(stored.connectedAt) })}</span>}
      </p>
      {connection.status === "needs_reconnect" && (
        <p class="field-error" role="alert">
          {t.t("needsReconnectHelp", { system: m.name })}
        </p>
      )}
      {route && (
        <p>
          <a class={again && connection.status !== "needs_reconnect" ? "button secondary" : "button"} id={`connect-${m.id}`} href={`${route}?integrationId=${p.row.id}`}>
            {t.t(again ? "reconnect" : "connect", { system: m.name })}
          </a>{" "}
          <span class="muted">{m.connect!.help[t.lang]}</span>
        </p>
      )}
    </div>
  );
}

/**
 * The accounting system's own choices for the settings that name its records, once its credentials are
 * set; "unavailable" when it cannot be read now (the page then shows number boxes and says why).
 */
async function agreementChoices(c: PageContext, row: Integration, m: ModuleRegistration, shown: Record<string, unknown>): Promise<SettingChoices | "unavailable" | null> {
  const read = accountingAdapters[m.id]?.choices;
  const secrets = secretFields(m);
  if (!read || !secrets.length || !secrets.some((k) => shown[k] === REDACTED)) return null;
  const ctx = new TransferContext(c.env);
  try {
    return await read(ctx.accountingContext(row, await ctx.accountingSettings(row)));
  } catch (e) {
    if (e instanceof TransferError) return "unavailable";
    throw e;
  }
}

interface SetupState {
  typed?: Record<string, unknown>;
  errors?: Record<string, string>;
  missing?: string[];
  flash?: string;
  flashError?: boolean;
  /** The sides that could not be read before activation. */
  failures?: SideFailure[];
}

async function setupPage(c: PageContext, row: Integration, state: SetupState = {}, status: 200 | 400 | 422 = 200) {
  const t = tr(c);
  const view = await integrationView(c.env, row);
  const mods = modulesOf(row);
  const csrf = c.get("csrf");
  const missing = new Set((state.missing ?? []).map((m) => m));
  const errors = state.errors ?? {};
  const choices = await agreementChoices(c, row, mods.accounting, view.accounting.settings);
  const side = (s: Side, m: ModuleRegistration, settings: Record<string, unknown>) => (
    <div class="card">
      <h2>
        {s === "shop" ? t.t("shopModule") : t.t("accountingModule")}: {m.name}
      </h2>
      <ConnectionPanel t={t} row={row} side={s} m={m} connection={view.connection[s]} />
      {s === "accounting" && choices === "unavailable" && <p class="muted" id="choices-unavailable">{t.t("choicesUnavailable", { system: m.name })}</p>}
      {(() => {
        const fields = formSpec(m, s).filter((f) => !m.connect?.filledByConnection?.includes(f.key));
        const field = (f: FieldSpec) => (
          <Field t={t} f={f} m={m} choices={s === "accounting" && choices !== "unavailable" ? choices : null} settings={settings} typed={state.typed} errors={errors} missing={missing} />
        );
        if (!m.connect) return fields.map(field);
        // A module with a connect flow: the credentials it fills in are the advanced path.
        const secret = fields.filter((f) => f.secret);
        const open = secret.some((f) => errors[f.name] || missing.has(f.name));
        return (
          <>
            {fields.filter((f) => !f.secret).map(field)}
            <details id={`advanced-${s}`} open={open}>
              <summary>{t.t("advancedCredentials")}</summary>
              {secret.map(field)}
            </details>
          </>
        );
      })()}
    </div>
  );
  return render(
    c,
    view.name ?? row.id,
    <>
      <p>
        <a href="/integrations">← {t.t("integrations")}</a>
      </p>
      <h1>
        {view.name ?? `${mods.shop.name} → ${mods.accounting.name}`} <Badge t={t} code={row.status} />
      </h1>
      <Flash text={state.flash} error={state.flashError} />
      {state.failures && state.failures.length > 0 && (
        <div class="flash error" role="alert" id="check-failed">
          {state.failures.map((f) => (
            <p>
              {t.t("checkFailed", { side: t.t(f.side === "shop" ? "checkShop" : "checkAccounting") })} {errorHelp(t.lang, f.category, { shopModule: row.shopModule, accountingModule: row.accountingModule })}{" "}
              <span class="muted" lang="en">{f.message}</span>
            </p>
          ))}
        </div>
      )}
      {state.missing && state.missing.length > 0 && (
        <div class="flash error" role="alert" id="missing">
          <p>{t.t("missingTitle")}</p>
          <ul>
            {state.missing.map((m) => (
              <li class="mono">{m}</li>
            ))}
          </ul>
        </div>
      )}
      <div class="card">
        <StartPoint t={t} row={row} />
        <div class="row">
          {row.status === "active" && (
            <details class="confirm" id="deactivate">
              <summary class="button secondary">{t.t("deactivate")}</summary>
              <p>{t.t("deactivateConfirm")}</p>
              <form method="post" action={`/integrations/${row.id}/deactivate`}>
                <Csrf token={csrf} />
                <button class="danger" type="submit">{t.t("deactivateReally")}</button>
              </form>
            </details>
          )}
          <a class="button secondary" href={`/log?integration=${row.id}`}>{t.t("log")}</a>
        </div>
      </div>
      {view.webhookUrl ? (
        <div class="card">
          <h2>{t.t("webhookAddress")}</h2>
          <p class="mono" id="webhook-url">{view.webhookUrl}</p>
          <p>{row.shopConnection?.via === "oauth" ? t.t("webhooksByConnection") : shopModules[row.shopModule]?.webhookHelp?.[t.lang]}</p>
        </div>
      ) : (
        <p class="muted">{t.t("pollNote")}</p>
      )}
      <form method="post" action={`/integrations/${row.id}/settings`} id="settings">
        <Csrf token={csrf} />
        {Object.keys(errors).length > 0 && <Flash text={t.t("fixErrors")} error />}
        <div class="cols">
          {side("shop", mods.shop, view.shop.settings)}
          {side("accounting", mods.accounting, view.accounting.settings)}
        </div>
        <div class="row">
          <button type="submit" name="intent" value="save" class={row.status === "active" ? "" : "secondary"}>{t.t("save")}</button>
          {row.status !== "active" && (
            <button type="submit" name="intent" value="activate" id="save-activate" aria-describedby="save-activate-help">{t.t("saveAndActivate")}</button>
          )}
        </div>
        {row.status !== "active" && <p class="muted" id="save-activate-help">{t.t("saveAndActivateHelp")}</p>}
      </form>
    </>,
    { status },
  );
}

const FLASH: Record<string, "saved" | "activated" | "deactivated"> = { saved: "saved", activated: "activated", deactivated: "deactivated" };

export function integrationRoutes(app: Hono<PagesEnv>) {
  async function listPage(c: PageContext, state: { errors?: Record<string, string>; typed?: Record<string, string> } = {}, status: 200 | 400 = 200) {
    const t = tr(c);
    const rows = await tenantIntegrations(c);
    const typed = state.typed ?? {};
    const select = (side: Side, name: string) => (
      <select id={name} name={name} class={state.errors?.[name] ? "invalid" : ""} aria-describedby={state.errors?.[name] ? `${name}-error` : undefined}>
        {listModules(side).map((m) => (
          <option value={m.id} selected={typed[name] === m.id}>
            {m.name}
          </option>
        ))}
      </select>
    );
    return render(
      c,
      t.t("integrations"),
      <>
        <h1>{t.t("integrations")}</h1>
        <table class="cards">
          <thead>
            <tr>
              <th>{t.t("name")}</th>
              <th>{t.t("shopModule")}</th>
              <th>{t.t("accountingModule")}</th>
              <th>{t.t("status")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr>
                <td data-label={t.t("name")}>
                  <a href={`/integrations/${r.id}`}>{r.name ?? r.id}</a>
                </td>
                <td data-label={t.t("shopModule")}>{getModule("shop", r.shopModule)?.name}</td>
                <td data-label={t.t("accountingModule")}>{getModule("accounting", r.accountingModule)?.name}</td>
                <td data-label={t.t("status")}>
                  <Badge t={t} code={r.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div class="card">
          <h2>{t.t("newIntegration")}</h2>
          <form method="post" action="/integrations">
            <Csrf token={c.get("csrf")} />
            <label for="name">{t.t("name")}</label>
            <input id="name" name="name" value={typed.name ?? ""} maxlength={200} class={state.errors?.name ? "invalid" : ""} aria-describedby={state.errors?.name ? "name-error" : undefined} />
            <FieldError text={state.errors?.name} id="name-error" />
            <label for="shop">{t.t("shopModule")}</label>
            {select("shop", "shop")}
            <FieldError text={state.errors?.shop} id="shop-error" />
            <label for="accounting">{t.t("accountingModule")}</label>
            {select("accounting", "accounting")}
            <FieldError text={state.errors?.accounting} id="accounting-error" />
            <p>
              <button type="submit">{t.t("create")}</button>
            </p>
          </form>
        </div>
      </>,
      { status },
    );
  }

  app.get("/integrations", (c) => listPage(c));

  app.post("/integrations", async (c) => {
    const body = await c.req.parseBody();
    const typed = { name: String(body.name ?? ""), shop: String(body.shop ?? ""), accounting: String(body.accounting ?? "") };
    const errors: Record<string, string> = {};
    const t = tr(c);
    if (typed.name.length > 200) errors.name = t.t("fieldTooLong", { n: t.num(200) });
    if (!getModule("shop", typed.shop)) errors.shop = t.t("fieldChoice");
    if (!getModule("accounting", typed.accounting)) errors.accounting = t.t("fieldChoice");
    if (Object.keys(errors).length) return listPage(c, { errors, typed }, 400);
    const row = await prepareNewIntegration(c.env, c.get("user").tenantId, {
      ...(typed.name.trim() ? { name: typed.name.trim() } : {}),
      shop: { module: typed.shop, settings: {} },
      accounting: { module: typed.accounting, settings: {} },
    });
    const db = getDb(c.env);
    await db.batch([db.insert(integrations).values(row), userAudit(c, "integration.create", { type: "integration", id: row.id }, { shop: row.shopModule, accounting: row.accountingModule })]);
    return c.redirect(`/integrations/${row.id}`, 303);
  });

  app.get("/integrations/:id", async (c) => {
    const row = await tenantIntegration(c, c.req.param("id"));
    const done = FLASH[c.req.query("done") ?? ""];
    return setupPage(c, row, done ? { flash: tr(c).t(done) } : {});
  });

  app.post("/integrations/:id/settings", async (c) => {
    const row = await tenantIntegration(c, c.req.param("id"));
    const form = await c.req.parseBody({ all: true });
    const mods = modulesOf(row);
    const patch = {
      shop: readSide(formSpec(mods.shop, "shop"), form, row.shopSettings),
      accounting: readSide(formSpec(mods.accounting, "accounting"), form, row.accountingSettings),
    };
    const errors: Record<string, string> = {};
    for (const s of ["shop", "accounting"] as const)
      for (const i of validateSettings(mods[s], patch[s], { allowHttpShopUrls: c.env.ALLOW_HTTP_SHOP_URLS === "true" })) errors[`${s}.${i.path.replace(/\.\d+$/, "")}`] = fieldMessage(tr(c), i);
    const typed = Object.fromEntries(Object.entries(form).filter(([k]) => !k.startsWith("_")));
    if (Object.keys(errors).length) return setupPage(c, row, { errors, typed }, 400);
    const sides = { ...(Object.keys(patch.shop).length ? { shop: patch.shop } : {}), ...(Object.keys(patch.accounting).length ? { accounting: patch.accounting } : {}) };
    if (sides.shop || sides.accounting) {
      try {
        await saveSettings(c.env, row, sides, `user:${c.get("user").id}`);
      } catch (e) {
        // A credential the accounting system refuses is shown on the form and not stored.
        if (!(e instanceof ApiError) || e.code !== "accounting_auth_failed") throw e;
        const field = secretFields(mods.accounting).find((k) => k in patch.accounting) ?? "";
        return setupPage(c, row, { errors: { [`accounting.${field}`]: e.message }, typed }, 422);
      }
    }
    if (form.intent === "activate") return activate(c, (await loadIntegration(c.env, row.id))!, typed);
    return c.redirect(`/integrations/${row.id}?done=saved`, 303);
  });

  /** Activation after a real read from both sides; a refusal re-shows the page with what was typed. */
  async function activate(c: PageContext, row: Integration, typed?: Record<string, unknown>) {
    const missing = await missingForActivation(c.env, row);
    if (missing.length) return setupPage(c, row, { missing, typed }, 422);
    const failures = await checkConnections(row, new TransferContext(c.env));
    if (failures.length) return setupPage(c, row, { failures, typed }, 422);
    try {
      await activateIntegration(c.env, row, userAudit(c, "integration.activate", { type: "integration", id: row.id }));
    } catch (e) {
      if (e instanceof ApiError && e.code === "settings_incomplete") return setupPage(c, row, { missing: (e.details?.missing as string[]) ?? missing, typed }, 422);
      throw e;
    }
    return c.redirect(`/integrations/${row.id}?done=activated`, 303);
  }

  app.post("/integrations/:id/activate", async (c) => activate(c, await tenantIntegration(c, c.req.param("id"))));

  app.post("/integrations/:id/deactivate", async (c) => {
    const row = await tenantIntegration(c, c.req.param("id"));
    await deactivateIntegration(c.env, row, userAudit(c, "integration.deactivate", { type: "integration", id: row.id }));
    return c.redirect(`/integrations/${row.id}?done=deactivated`, 303);
  });
}
