import { eq } from "drizzle-orm";
import { audit } from "../db/audit";
import { getDb } from "../db/client";
import { integrations } from "../db/schema";
import { decryptSecret, encryptSecret } from "../lib/crypto";
import { TransferError } from "../domain/errors";
import { ApiError, invalid } from "../lib/errors";
import { outboundFetch } from "../lib/outbound";
import { accountingAdapters } from "../modules/adapters";
import { isObj } from "../modules/order-json";
import { newId } from "../lib/ids";
import { nowIso } from "../domain/calendar";
import {
  getModule,
  missingSettings,
  redactedSettings,
  shopUrlFields,
  splitSecrets,
  validateSettings,
  secretFields,
  type ModuleRegistration,
  type Side,
} from "../modules/registry";
import type { Connection } from "../db/schema";

export type Integration = typeof integrations.$inferSelect;

type Env = { DB: D1Database; ENCRYPTION_KEY: string; ALLOW_HTTP_SHOP_URLS?: string; PUBLIC_URL?: string };

const secretContext = (row: { tenantId: string; id: string }, side: Side) => `orderbridge:${row.tenantId}:${row.id}:${side}`;

export async function loadIntegration(env: Env, id: string): Promise<Integration | undefined> {
  return getDb(env).select().from(integrations).where(eq(integrations.id, id)).get();
}

async function readSecrets(env: Env, row: Integration, side: Side): Promise<Record<string, string>> {
  const ct = side === "shop" ? row.shopSecrets : row.accountingSecrets;
  if (!ct) return {};
  return JSON.parse(await decryptSecret(env.ENCRYPTION_KEY, ct, secretContext(row, side)));
}

async function writeSecrets(env: Env, row: { tenantId: string; id: string }, side: Side, secrets: Record<string, string>) {
  if (Object.keys(secrets).length === 0) return null;
  return encryptSecret(env.ENCRYPTION_KEY, JSON.stringify(secrets), secretContext(row, side));
}

export function modulesOf(row: Integration) {
  return { shop: getModule("shop", row.shopModule)!, accounting: getModule("accounting", row.accountingModule)! };
}

/** One side's settings, secrets decrypted: only for talking to that external system. */
export async function sideSettings(env: Env, row: Integration, side: Side): Promise<Record<string, unknown>> {
  return { ...(side === "shop" ? row.shopSettings : row.accountingSettings), ...(await readSecrets(env, row, side)) };
}

/** The complete settings of both sides, secrets decrypted. */
export async function integrationSettings(env: Env, row: Integration) {
  const [shop, accounting] = await Promise.all([sideSettings(env, row, "shop"), sideSettings(env, row, "accounting")]);
  return { shop, accounting };
}

/** Secret key names that are set, without decrypting (for redaction). */
async function secretKeys(env: Env, row: Integration, side: Side) {
  return Object.keys(await readSecrets(env, row, side));
}

export async function missingForActivation(env: Env, row: Integration): Promise<string[]> {
  const s = await integrationSettings(env, row);
  const m = modulesOf(row);
  // A shop connected by app install has its token from the connection and its webhooks signed with the
  // app's secret: no webhook secret is typed (api.md "Connections").
  const byConnection = row.shopConnection?.via === "oauth" ? ["webhookSecret"] : [];
  return [
    ...missingSettings(m.shop, s.shop).filter((p) => !byConnection.includes(p)).map((p) => `shop.${p}`),
    ...missingSettings(m.accounting, s.accounting).map((p) => `accounting.${p}`),
  ];
}

export function isWebhookShop(row: Pick<Integration, "shopModule">) {
  return getModule("shop", row.shopModule)?.delivery === "webhook";
}

export async function integrationView(env: Env, row: Integration) {
  const m = modulesOf(row);
  const base = (env.PUBLIC_URL ?? "").replace(/\/$/, "");
  return {
    id: row.id,
    tenantId: row.tenantId,
    name: row.name ?? null,
    status: row.status,
    createdAt: row.createdAt,
    activatedAt: row.activatedAt ?? null,
    startAt: row.startAt ?? null,
    shop: { module: row.shopModule, settings: redactedSettings(m.shop, row.shopSettings, await secretKeys(env, row, "shop")) },
    accounting: {
      module: row.accountingModule,
      settings: redactedSettings(m.accounting, row.accountingSettings, await secretKeys(env, row, "accounting")),
    },
    webhookUrl: isWebhookShop(row) ? `${base}/webhooks/${row.shopModule}/${row.id}` : null,
    health: row.health ?? { status: "ok" },
    connection: { shop: await connectionOf(env, row, "shop"), accounting: await connectionOf(env, row, "accounting") },
  };
}

/**
 * R26: a side's connection as api.md shows it. One made by a connect flow (or found refused) is stored;
 * otherwise typed credentials that are all set count as connected "via credentials", and a module whose
 * credentials are missing is not connected. A module without credentials (sandbox) is connected.
 */
export async function connectionOf(env: Env, row: Integration, side: Side): Promise<{ status: "connected" | "needs_reconnect" | "not_connected"; via?: "oauth" | "credentials"; checkedAt?: string; account?: string }> {
  const stored = side === "shop" ? row.shopConnection : row.accountingConnection;
  if (stored) return { status: stored.status, via: stored.via, checkedAt: stored.checkedAt, ...(stored.account ? { account: stored.account } : {}) };
  const m = modulesOf(row)[side];
  const required = secretFields(m).filter((f) => missingSettings(m, {}).includes(f));
  if (required.length === 0) return { status: "connected", via: "credentials" };
  const keys = await secretKeys(env, row, side);
  return required.every((f) => keys.includes(f)) ? { status: "connected", via: "credentials" } : { status: "not_connected" };
}

/** Records a side's connection (made, checked or refused). */
export async function setConnection(env: Env, integrationId: string, side: Side, connection: Connection) {
  await getDb(env)
    .update(integrations)
    .set(side === "shop" ? { shopConnection: connection } : { accountingConnection: connection })
    .where(eq(integrations.id, integrationId));
}

/**
 * A credential was refused (a 401 from the accounting system or the shop): the side needs reconnecting
 * (R26). Nothing is lost meanwhile: the orders fail with accounting_auth_failed and are transferred again
 * once the merchant reconnects.
 */
export async function markNeedsReconnect(env: Env, row: Integration, side: Side, at: string) {
  const current = (side === "shop" ? row.shopConnection : row.accountingConnection) ?? { via: "credentials" as const };
  if ((current as Connection).status === "needs_reconnect") return;
  await setConnection(env, row.id, side, { ...(current as Connection), status: "needs_reconnect", via: current.via, checkedAt: at });
}

function checkSettings(env: Env, side: Side, m: ModuleRegistration, settings: Record<string, unknown>) {
  const issues = validateSettings(m, settings, { allowHttpShopUrls: env.ALLOW_HTTP_SHOP_URLS === "true" });
  if (issues.length)
    throw invalid(`Invalid ${side} settings: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`, { issues: issues.map((i) => ({ path: `${side}.settings.${i.path}`, message: i.message })) });
}

export async function prepareNewIntegration(
  env: Env,
  tenantId: string,
  body: { name?: string; shop: { module: string; settings: Record<string, unknown> }; accounting: { module: string; settings: Record<string, unknown> } },
): Promise<Integration> {
  const shop = getModule("shop", body.shop.module);
  const accounting = getModule("accounting", body.accounting.module);
  if (!shop) throw invalid(`Unknown shop module "${body.shop.module}"`, { issues: [{ path: "shop.module", message: "unknown module" }] });
  if (!accounting)
    throw invalid(`Unknown accounting module "${body.accounting.module}"`, { issues: [{ path: "accounting.module", message: "unknown module" }] });
  checkSettings(env, "shop", shop, body.shop.settings);
  checkSettings(env, "accounting", accounting, body.accounting.settings);
  const id = newId("int");
  const createdAt = nowIso();
  const s = splitSecrets(shop, body.shop.settings);
  const a = splitSecrets(accounting, body.accounting.settings);
  Object.assign(a.plain, await verifiedFacts(env, accounting, {}, a));
  const keys = { tenantId, id };
  return {
    id,
    tenantId,
    name: body.name ?? null,
    shopModule: shop.id,
    shopSettings: s.plain,
    shopSecrets: await writeSecrets(env, keys, "shop", s.secret),
    accountingModule: accounting.id,
    accountingSettings: a.plain,
    accountingSecrets: await writeSecrets(env, keys, "accounting", a.secret),
    status: "inactive",
    createdAt,
    activatedAt: null,
    // R2: a polled shop transfers orders created from the integration's creation on; R3: a webhook
    // shop from its first activation.
    startAt: shop.delivery === "webhook" ? null : createdAt,
    pollCursor: null,
    health: null,
    updatedAt: createdAt,
    shopConnection: null,
    accountingConnection: null,
  };
}

/** Merges a settings patch of one side; returns the new column values. */
export async function mergeSettings(env: Env, row: Integration, side: Side, patch: Record<string, unknown>) {
  const m = modulesOf(row)[side];
  checkSettings(env, side, m, patch);
  const current = side === "shop" ? row.shopSettings : row.accountingSettings;
  const { plain, secret } = splitSecrets(m, patch);
  let secrets = await readSecrets(env, row, side);
  // A changed shop URL drops the stored credentials: they are sent nowhere until entered again.
  const urlChanged = shopUrlFields(m).some((f) => f in plain && plain[f] !== current[f]);
  if (urlChanged) secrets = {};
  if (side === "accounting") Object.assign(plain, await verifiedFacts(env, m, { ...current, ...secrets }, { plain, secret }));
  const merged = mergeDeep(current, plain);
  secrets = { ...secrets, ...secret };
  // New typed credentials replace what a refused connection left: the side is checked afresh (R26).
  return { settings: merged, secrets: await writeSecrets(env, row, side, secrets), credentialsCleared: urlChanged, credentialsTyped: Object.keys(secret).length > 0 };
}

/** A settings change of an integration: its name, and a patch of either side's settings. */
export interface SettingsChange {
  name?: string;
  shop?: Record<string, unknown>;
  accounting?: Record<string, unknown>;
}

/**
 * Saves a settings change, for the staff API and the settings page alike: each side's patch merged
 * (validated, secrets encrypted, accounting credentials checked at once; a refusal throws and nothing is
 * stored), a side whose credentials were typed loses its connection state (checked afresh, R26), and the
 * row and its audit row (`integration.patch` with the changed paths) written in one batch. Returns the
 * integration as saved.
 */
export async function saveSettings(env: Env, row: Integration, change: SettingsChange, actor: string): Promise<Integration> {
  const update: Partial<Integration> = { updatedAt: nowIso() };
  if (change.name !== undefined) update.name = change.name;
  if (change.shop) {
    const m = await mergeSettings(env, row, "shop", change.shop);
    Object.assign(update, { shopSettings: m.settings, shopSecrets: m.secrets }, m.credentialsTyped ? { shopConnection: null } : {});
  }
  if (change.accounting) {
    const m = await mergeSettings(env, row, "accounting", change.accounting);
    Object.assign(update, { accountingSettings: m.settings, accountingSecrets: m.secrets }, m.credentialsTyped ? { accountingConnection: null } : {});
  }
  const changed = [...Object.keys(change.shop ?? {}).map((k) => `shop.${k}`), ...Object.keys(change.accounting ?? {}).map((k) => `accounting.${k}`)];
  const db = getDb(env);
  await db.batch([
    db.update(integrations).set(update).where(eq(integrations.id, row.id)),
    audit(db, { actor, action: "integration.patch", target: { type: "integration", id: row.id, tenantId: row.tenantId }, details: { changed } }),
  ]);
  return { ...row, ...update };
}

/** A PATCH merges at every level: `{vatZones: {eu: 2}}` keeps the other zones; a list or a value replaces. */
function mergeDeep(current: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = { ...current };
  for (const [k, v] of Object.entries(patch)) out[k] = isObj(v) && isObj(current[k]) ? mergeDeep(current[k], v) : v;
  return out;
}

/**
 * When credentials of an accounting module are set, the module checks them at once (its optional
 * `verifySettings`) and tells what to remember; a refused credential is a 422 and nothing is stored.
 */
async function verifiedFacts(env: Env, m: ModuleRegistration, stored: Record<string, unknown>, patch: { plain: Record<string, unknown>; secret: Record<string, string> }) {
  const verify = accountingAdapters[m.id]?.verifySettings;
  if (!verify || Object.keys(patch.secret).length === 0) return {};
  try {
    // The shells pass the Worker's whole env; this file names only what it reads itself.
    return await verify({ env: env as unknown as Cloudflare.Env, fetch: outboundFetch }, { ...stored, ...patch.plain, ...patch.secret });
  } catch (e) {
    if (e instanceof TransferError && e.category === "accounting_auth_failed")
      throw new ApiError(422, "accounting_auth_failed", `${m.name} refused the credentials: ${e.message}`, { hint: e.hint });
    if (e instanceof TransferError)
      throw new ApiError(422, "accounting_auth_failed", `${m.name} could not check the credentials now: ${e.message}`, { category: e.category, hint: e.hint });
    throw e;
  }
}
