/**
 * Telling the merchant (R25): the events of the core, each one line at its call site, turned into
 * incidents and notices. Everything here is safe to run twice: incidents give stable keys, and the
 * outbox records a key once.
 */
import { and, count, eq, gte, min } from "drizzle-orm";
import { getDb, type Db } from "../db/client";
import { integrations, ledger } from "../db/schema";
import type { TransferError } from "../domain/errors";
import type { Integration } from "../integrations/store";
import { integrationLabel, moduleName } from "./labels";
import type { Side } from "../modules/registry";
import { incidentOf, openIncident, resolveIncident } from "./incidents";
import { notify, type Notice } from "./outbox";
import type { NotifyEnv } from "./sender";
import * as texts from "./texts";
import type { Kind } from "./texts";

/** What the notifications need of the caller (the transfer context fits): notify sits below the features that tell it things. */
export interface NotifyContext {
  env: Env;
  db: Db;
  now(): Date;
}

export { notifyCron, runDigest } from "./digest";

/**
 * Opens (or finds open) the incident of `kind` for `subjectId` and tells it: the key names the incident,
 * so while it stays open a repeat records and sends nothing.
 */
async function tellIncident(env: NotifyEnv, now: Date, kind: Kind, subjectId: string, about: { tenantId: string; integrationId: string; importId?: string }, content: Notice["content"], openedAt = now.toISOString()) {
  const { seq } = await openIncident(getDb(env), kind, subjectId, openedAt);
  await notify(env, [{ kind, tenantId: about.tenantId, key: `${kind}:${subjectId}:${seq}`, integrationId: about.integrationId, importId: about.importId ?? null, content }], now);
}

/** Per batch: which integrations are known to have an open credential incident (one read per integration and batch). */
const authOpen = new WeakMap<NotifyContext, Map<string, Promise<boolean>>>();
const authMemo = (ctx: NotifyContext) => {
  let m = authOpen.get(ctx);
  if (!m) authOpen.set(ctx, (m = new Map()));
  return m;
};

/** A transfer failed for good: a refused credential is an incident, told at once (once per incident). */
export async function transferFailed(ctx: NotifyContext, integration: Integration, err: TransferError) {
  if (err.category !== "accounting_auth_failed") return;
  const memo = authMemo(ctx);
  if (memo.has(integration.id) && (await memo.get(integration.id))) return; // told in this batch already
  memo.set(integration.id, Promise.resolve(true));
  const now = ctx.now();
  const at = now.toISOString();
  await tellIncident(ctx.env, now, "accounting_auth_failed", integration.id, { tenantId: integration.tenantId, integrationId: integration.id }, (lang) =>
    texts.accountingAuthFailed(lang, { integration: integrationLabel(integration), integrationId: integration.id, system: moduleName("accounting", integration.accountingModule), message: err.message, at }),
  );
}

/** A transfer succeeded: the credential works (again), so an open credential incident is over. */
export async function transferSucceeded(ctx: NotifyContext, integration: Integration) {
  const memo = authMemo(ctx);
  let open = memo.get(integration.id);
  if (!open) memo.set(integration.id, (open = incidentOf(ctx.db, "accounting_auth_failed", integration.id).then((i) => i?.open === 1)));
  if (!(await open)) return;
  await resolveIncident(ctx.db, "accounting_auth_failed", integration.id);
  memo.set(integration.id, Promise.resolve(false));
}

/** The shop removed our app or refused our access (R26): told at once, once until it is reconnected. */
export async function shopDisconnected(env: NotifyEnv, integration: Integration, now = new Date()) {
  const at = now.toISOString();
  await tellIncident(env, now, "shop_disconnected", integration.id, { tenantId: integration.tenantId, integrationId: integration.id }, (lang) =>
    texts.shopDisconnected(lang, { integration: integrationLabel(integration), integrationId: integration.id, shop: moduleName("shop", integration.shopModule), at }),
  );
}

/** A connect flow stored a working connection: that side's incident is over. */
export async function connectionRestored(env: NotifyEnv, integrationId: string, side: Side) {
  await resolveIncident(getDb(env), side === "shop" ? "shop_disconnected" : "accounting_auth_failed", integrationId);
}

/** A sweep whose last page found nothing new this long after the last missing order ends the incident. */
const QUIET_SWEEP_MINUTES = 10;

/**
 * After a page of a webhook shop's reconciliation: the orders it took in that the ledger did not have
 * (no webhook brought them) are an incident, told with how many and since when; a sweep that finds
 * none ends it.
 */
export async function reconciled(ctx: NotifyContext, integration: Integration, pageStartedAt: Date, lastPage: boolean) {
  const db = ctx.db;
  const since = pageStartedAt.toISOString();
  const found = await db
    .select({ n: count(), first: min(ledger.orderCreatedAt) })
    .from(ledger)
    .where(and(eq(ledger.integrationId, integration.id), eq(ledger.source, "poll"), gte(ledger.receivedAt, since)))
    .get();
  const n = found?.n ?? 0;
  if (n === 0) {
    if (!lastPage) return;
    const incident = await incidentOf(db, "webhooks_missing", integration.id);
    if (incident?.open === 1 && incident.lastSeenAt < new Date(pageStartedAt.getTime() - QUIET_SWEEP_MINUTES * 60_000).toISOString())
      await resolveIncident(db, "webhooks_missing", integration.id);
    return;
  }
  await tellIncident(
    ctx.env,
    ctx.now(),
    "webhooks_missing",
    integration.id,
    { tenantId: integration.tenantId, integrationId: integration.id },
    (lang) => texts.webhooksMissing(lang, { integration: integrationLabel(integration), integrationId: integration.id, shop: moduleName("shop", integration.shopModule), count: n, since: found?.first ?? since }),
    since,
  );
}

interface ImportFacts {
  id: string;
  tenantId: string;
  integrationId: string;
  pauseReason: string | null;
  found: number;
  estimatedOrders: number;
  fromDate: string;
  toDate: string;
}

async function labelOf(env: NotifyEnv, integrationId: string) {
  const row = await getDb(env).select().from(integrations).where(eq(integrations.id, integrationId)).get();
  return row ? integrationLabel(row) : integrationId;
}

/** An import paused (scope, shop, staff): told with the reason and what to do, once until it runs again. */
export async function importPaused(env: NotifyEnv, row: ImportFacts, now = new Date()) {
  const integration = await labelOf(env, row.integrationId);
  await tellIncident(env, now, "import_paused", row.id, { tenantId: row.tenantId, integrationId: row.integrationId, importId: row.id }, (lang) =>
    texts.importPaused(lang, { importId: row.id, integration, reason: row.pauseReason ?? "staff", found: row.found, estimated: row.estimatedOrders, fromDate: row.fromDate, toDate: row.toDate }),
  );
}

/** An import runs again: its pause is over (a later pause is told again). */
export async function importResumed(env: NotifyEnv, importId: string) {
  await resolveIncident(getDb(env), "import_paused", importId);
}

/** An import completed: told once, with the report's numbers. */
export async function importCompleted(
  env: NotifyEnv,
  row: ImportFacts,
  report: { progress: { found: number; transferred: number; failed: number; skipped: number }; errorsByCategory: Record<string, number>; billing: { total: number; currency: string } },
  now = new Date(),
) {
  const integration = await labelOf(env, row.integrationId);
  await notify(
    env,
    [
      {
        kind: "import_completed",
        tenantId: row.tenantId,
        key: `import_completed:${row.id}`,
        integrationId: row.integrationId,
        importId: row.id,
        content: (lang) =>
          texts.importCompleted(lang, {
            importId: row.id,
            integration,
            fromDate: row.fromDate,
            toDate: row.toDate,
            ...report.progress,
            errorsByCategory: report.errorsByCategory,
            total: report.billing.total,
            currency: report.billing.currency,
          }),
      },
    ],
    now,
  );
}

export type { Kind };
