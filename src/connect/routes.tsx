/**
 * Connect flows (R26): the merchant presses Connect, approves in the other system, and comes back; nobody
 * copies a token. Each `start` needs a signed-in owner of the integration's tenant (a member: 403, no
 * state issued; another tenant's integration: 404); each callback takes its one-time state (states.ts) and
 * stores nothing unless every check passes (a bad state: 400; a refused token: 400). What differs per
 * system is its module's flow (`connect.flow`, src/modules/<id>/connect.ts); the routes are these.
 */
import { audit } from "../db/audit";
import { eq } from "drizzle-orm";
import type { Hono } from "hono";
import { getDb } from "../db/client";
import { integrations } from "../db/schema";
import { loadIntegration, mergeSettings, type Integration } from "../integrations/store";
import { ApiError, errorBody, invalid } from "../lib/errors";
import { outboundFetch } from "../lib/outbound";
import { nowIso } from "../domain/calendar";
import { modules } from "../modules";
import { connectPath, type Side } from "../modules/registry";
import type { ConnectFlow, ConnectInput, ConnectRefusal, ModuleDescriptor, Words } from "../modules/types";
import { type PageContext, type PagesEnv } from "../pages/auth";
import { requireUser } from "../pages/guard";
import { tenantIntegration } from "../pages/integrations";
import { Flash, render, tr } from "../pages/layout";
import { issueState, sessionHash, takeState } from "./states";
import { connectionRestored } from "../notify";

const publicUrl = (c: PageContext) => (c.env.PUBLIC_URL ?? new URL(c.req.url).origin).replace(/\/+$/, "");

const words = (c: PageContext, text: Words | string) => (typeof text === "string" ? text : text[tr(c).lang]);

const settingsOf = (row: Integration, side: Side) => (side === "shop" ? row.shopSettings : row.accountingSettings);

const EXPIRED: Words = { da: "Linket er udløbet eller allerede brugt. Tryk på Forbind igen fra integrationens side.", en: "The link has expired or was already used. Press Connect again on the integration's page." };
const GONE: Words = { da: "Integrationen findes ikke længere.", en: "The integration no longer exists." };

/** The integration a `start` is for: the owner's own, with the right module on that side. */
async function startable(c: PageContext, side: Side, module: string) {
  if (c.get("user").role !== "owner") throw new ApiError(403, "forbidden", tr(c).lang === "da" ? "Kun en ejer kan forbinde en integration." : "Only an owner can connect an integration.");
  const row = await tenantIntegration(c, c.req.query("integrationId") ?? "");
  if ((side === "shop" ? row.shopModule : row.accountingModule) !== module)
    throw invalid(`This integration does not use ${module}`, { issues: [{ path: "integrationId", message: `the ${side} module is not ${module}` }] });
  return row;
}

/** A callback that cannot be taken: a page in the merchant's language saying what to do, and nothing stored. */
function refused(c: PageContext, status: ConnectRefusal["status"], reason: string) {
  const t = tr(c);
  return render(c, t.t("error"), <><h1>{t.lang === "da" ? "Forbindelsen blev ikke oprettet" : "The connection was not made"}</h1><Flash text={reason} error /></>, { status });
}

/** A refusal as the flow answers: JSON to a system, a page to the merchant. */
function answer(c: PageContext, flow: ConnectFlow, r: Pick<ConnectRefusal, "status" | "text" | "code">) {
  if (flow.callback.answers === "json") return c.json(errorBody(r.code ?? "invalid_request", typeof r.text === "string" ? r.text : r.text.en), r.status);
  return refused(c, r.status, words(c, r.text));
}

/** The operator's configuration the flow needs, or 503 not_configured. */
function configured(c: PageContext, flow: ConnectFlow) {
  if (flow.env.every((k) => (c.env as unknown as Record<string, unknown>)[k])) return;
  const what = flow.env.join(" / ");
  const text = flow.notConfigured ?? {
    da: `Forbindelse med et klik er ikke sat op hos orderbridge (${what} mangler). Indtast adgangsoplysningerne under Avanceret, eller kontakt support.`,
    en: `One-click connection is not set up for orderbridge (${what} is missing). Enter the credentials under Advanced, or contact support.`,
  };
  throw new ApiError(503, "not_configured", words(c, text));
}

/** The callback's input as the flow reads it; a JSON body that is not JSON is refused. */
async function readInput(c: PageContext, flow: ConnectFlow): Promise<ConnectInput | null> {
  const query = new URL(c.req.url).searchParams;
  if (flow.callback.reads === "query") return { fields: c.req.query(), query };
  if (flow.callback.reads === "form") return { fields: await c.req.parseBody().catch(() => ({})), query };
  try {
    const body: unknown = JSON.parse(await c.req.text());
    return { fields: body && typeof body === "object" ? (body as Record<string, unknown>) : {}, query };
  } catch {
    return null;
  }
}

function mountFlow(app: Hono<PagesEnv>, m: ModuleDescriptor, flow: ConnectFlow) {
  const json = flow.callback.answers === "json";

  app.use(connectPath(m, "start"), requireUser);
  app.get(connectPath(m, "start"), async (c) => {
    const row = await startable(c, m.side, m.id);
    configured(c, flow);
    const settings = settingsOf(row, m.side);
    for (const r of flow.requires ?? []) {
      const value = String(settings[r.setting] ?? "");
      if (!(r.ok ? r.ok(value) : value !== "")) throw invalid(words(c, r.missing), { issues: [{ path: `${m.side}.settings.${r.setting}`, message: "missing" }] });
    }
    const state = await issueState(getDb(c.env), c, m.id, row.id);
    const url = flow.authorizeUrl({ env: c.env, settings, state, callbackUrl: `${publicUrl(c)}${connectPath(m, "callback")}`, returnUrl: `${publicUrl(c)}/integrations/${row.id}`, lang: tr(c).lang });
    return c.redirect(url, 302);
  });

  if (flow.install) {
    const install = flow.install;
    app.get(connectPath(m), async (c) => {
      configured(c, flow);
      const r = await install(c.env, new URL(c.req.url).searchParams);
      return r.ok ? c.redirect(r.redirect, 302) : refused(c, r.status, words(c, r.text));
    });
  }

  app.on(flow.callback.method, connectPath(m, "callback"), async (c) => {
    // A verified callback needs the secret that signs it.
    if (flow.verify) configured(c, flow);
    const input = await readInput(c, flow);
    if (!input) return answer(c, flow, { status: 400, text: "The body is not JSON" });
    const unverified = flow.verify ? await flow.verify(c.env, input) : null;
    if (unverified) return answer(c, flow, unverified);
    const db = getDb(c.env);
    const state = input.fields[flow.callback.state];
    let taken;
    if (flow.callback.session) {
      const session = await sessionHash(c);
      taken = session ? await takeState(db, m.id, state, session) : null;
    } else taken = await takeState(db, m.id, state, undefined);
    if (!taken) return answer(c, flow, { status: 400, text: json ? "Unknown, used or expired state" : (flow.callback.expired ?? EXPIRED) });
    const row = await loadIntegration(c.env, taken.integrationId);
    if (!row || row.tenantId !== taken.tenantId || (m.side === "shop" ? row.shopModule : row.accountingModule) !== m.id)
      return answer(c, flow, { status: 400, text: json ? "The integration no longer exists" : GONE });
    const done = await flow.complete({
      ...input,
      env: c.env,
      fetch: outboundFetch,
      settings: settingsOf(row, m.side),
      callbackUrl: `${publicUrl(c)}${connectPath(m, "callback")}`,
      webhookUrl: `${publicUrl(c)}/webhooks/${m.id}/${row.id}`,
    });
    if (!done.ok) return answer(c, flow, done);
    await storeConnection(c.env, row, m.side, done.credentials, done.account, taken.userId, `connection.${m.id}`, done.details);
    return json ? c.json({ ok: true }, 200) : c.redirect(`/integrations/${row.id}`, 303);
  });
}

/** The routes of every module with a connect flow, from the one list (src/modules/index.ts). */
export function connectRoutes(app: Hono<PagesEnv>) {
  for (const m of modules) if (m.connect) mountFlow(app, m, m.connect.flow);
}

/**
 * A connect flow's result, stored at once: the credentials it brought (merged and encrypted as typed
 * settings would be), the side's connection (connected via oauth, as which account, since when) and the
 * audit row naming the user who started it.
 */
async function storeConnection(env: Env, row: Integration, side: Side, credentials: Record<string, unknown>, account: string, userId: string, action: string, details: Record<string, unknown>) {
  const merged = await mergeSettings(env, row, side, credentials);
  const at = nowIso();
  const connection = { status: "connected" as const, via: "oauth" as const, checkedAt: at, connectedAt: at, account };
  const db = getDb(env);
  await db.batch([
    db
      .update(integrations)
      .set(side === "shop" ? { shopSettings: merged.settings, shopSecrets: merged.secrets, shopConnection: connection, updatedAt: at } : { accountingSettings: merged.settings, accountingSecrets: merged.secrets, accountingConnection: connection, updatedAt: at })
      .where(eq(integrations.id, row.id)),
    audit(db, { actor: `user:${userId}`, action, target: { type: "integration", id: row.id, tenantId: row.tenantId }, details }),
  ]);
  await connectionRestored(env, row.id, side);
}
