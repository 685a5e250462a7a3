import { chargeOrder } from "../account/client";
import { and, eq, isNull } from "drizzle-orm";
import { getDb, type Db } from "../db/client";
import { users } from "../db/schema";
import { DocumentGone, TransferError } from "../domain/errors";
import { decideIntake, type Source } from "../domain/ledger";
import type { CanonicalOrder, DocumentRef } from "../domain/order";
import { integrationSettings, loadIntegration, markNeedsReconnect, setConnection, type Integration } from "../integrations/store";
import { outboundFetch, type FetchFn } from "../lib/outbound";
import { accountingAdapters, shopAdapters } from "../modules/adapters";
import { effectiveSettings, getModule } from "../modules/registry";
import type { AccountingContext, AccountingSession, ShopContext } from "../modules/types";
import type { ModuleSettings } from "../modules/settings";
import { moduleStore } from "../db/bindings";
import { transferFailed, transferSucceeded } from "../notify";
import { creditWaiting, intakeRefunds } from "./credit-notes";
import { makeDocumentOnce } from "./earlier-document";
import { shopCredentials } from "./shop-credentials";
import {
  claim,
  claimDraftUpdate,
  getLedgerRow,
  ledgerState,
  markFailed,
  markTransferred,
  recordDraftUpdated,
  recordNote,
  recordSeen,
  releaseDraftUpdate,
  releaseForRetry,
  type LedgerRow,
} from "./ledger-store";

/** How many times a transient failure is retried before the order shows `failed` (matches wrangler.toml max_retries). */
export const MAX_RETRIES = 6;

/** The outcome for the queue: done (ack) or try again later. */
export type Outcome = { done: true; enqueue?: string } | { done: false; delaySeconds: number };
export const DONE: Outcome = { done: true };

/**
 * Per-batch context: integrations, settings and accounting sessions (with their master data) are
 * loaded once per batch, not per order.
 */
export class TransferContext {
  readonly db: Db;
  private sessions = new Map<string, Promise<AccountingSession>>();
  private settings = new Map<string, ReturnType<typeof integrationSettings>>();
  private integrations = new Map<string, Promise<Integration | undefined>>();
  private langs = new Map<string, Promise<"da" | "en">>();
  constructor(
    readonly env: Env,
    readonly fetch: FetchFn = outboundFetch,
    readonly now: () => Date = () => new Date(),
  ) {
    this.db = getDb(env);
  }

  /** The integration's row, read once per batch. */
  integration(id: string) {
    let i = this.integrations.get(id);
    if (!i) this.integrations.set(id, (i = loadIntegration(this.env, id)));
    return i;
  }

  settingsOf(integration: Integration) {
    let s = this.settings.get(integration.id);
    if (!s) this.settings.set(integration.id, (s = integrationSettings(this.env, integration)));
    return s;
  }

  async shopSettings(integration: Integration) {
    return effectiveSettings(getModule("shop", integration.shopModule)!, (await this.settingsOf(integration)).shop);
  }

  /** What a shop module's client works with: the side's settings, and the port that stores renewed credentials. */
  shopContext(integration: Integration, settings: Record<string, unknown>, maxWaitMs?: number): ShopContext {
    return { integrationId: integration.id, settings, env: this.env, db: this.db, fetch: this.fetch, maxWaitMs, credentials: shopCredentials(this.env, integration.id) };
  }

  /** The language the merchant's documents are written in: the first owner's page language (Danish unless English was chosen). */
  merchantLang(integration: Integration): Promise<"da" | "en"> {
    let l = this.langs.get(integration.tenantId);
    if (!l)
      this.langs.set(
        integration.tenantId,
        (l = this.db
          .select({ language: users.language })
          .from(users)
          .where(and(eq(users.tenantId, integration.tenantId), eq(users.role, "owner"), isNull(users.removedAt)))
          .orderBy(users.createdAt)
          .get()
          .then((u) => u?.language ?? "da")),
      );
    return l;
  }

  async accountingSettings(integration: Integration) {
    return effectiveSettings(getModule("accounting", integration.accountingModule)!, (await this.settingsOf(integration)).accounting);
  }

  /** The context an accounting module is opened with: the integration's settings and storage, and this context's env, db and fetch. */
  accountingContext(integration: Integration, settings: ModuleSettings): AccountingContext {
    return { integrationId: integration.id, tenantId: integration.tenantId, store: moduleStore(this.db, integration.id), settings, env: this.env, db: this.db, fetch: this.fetch };
  }

  session(integration: Integration): Promise<AccountingSession> {
    let s = this.sessions.get(integration.id);
    if (!s) {
      s = (async () =>
        accountingAdapters[integration.accountingModule].open(this.accountingContext(integration, await this.accountingSettings(integration))))();
      // A failed open (e.g. the accounting system is down) is not cached: the next order tries again.
      s.catch(() => this.sessions.delete(integration.id));
      this.sessions.set(integration.id, s);
    }
    return s;
  }
}

const ORDER_WORD: Record<"da" | "en", string> = { da: "Ordre", en: "Order" };

/**
 * Our reference on the accounting document, in the merchant's language ("Ordre 1001 (id …) ob:…"): the
 * order's number and id, unique per integration and generation. Documents made before references were
 * translated carry the English one, which is the `en` reference, so a look-up tries every language.
 */
export function documentReference(integrationId: string, row: Pick<LedgerRow, "shopOrderId" | "orderNumber" | "generation">, lang: "da" | "en" = "da") {
  const gen = row.generation ? `/${row.generation}` : "";
  return `${ORDER_WORD[lang]} ${row.orderNumber} (id ${row.shopOrderId}) ob:${integrationId}${gen}`;
}

/** Our document of this order and generation, under the reference of any language (the current one first). */
export async function findOurDocument(session: Pick<AccountingSession, "findDocument">, integrationId: string, row: Parameters<typeof documentReference>[1], lang: "da" | "en") {
  for (const l of [lang, ...(Object.keys(ORDER_WORD) as ("da" | "en")[]).filter((x) => x !== lang)]) {
    const found = await session.findDocument(documentReference(integrationId, row, l));
    if (found) return found;
  }
  return null;
}

export interface SeenOrder {
  raw: unknown;
  rawText: string;
  source: Source;
  isUpdate: boolean;
  active: boolean;
  importId?: string | null;
  /** When the order reached us (a webhook's arrival), if earlier than its handling. */
  receivedAt?: string;
  /** Transfer in this call (webhooks: one message, one order) or leave the row pending for a transfer message (polls, imports). */
  inline?: boolean;
}

/**
 * The single intake for every order, whatever brought it (webhook, poll, reconciliation, import):
 * map it, decide (R2–R8), record it in the ledger, and transfer it when that is the decision; then its
 * refunds and cancellation (R20–R22), whatever was decided for the order.
 */
export async function intakeOrder(ctx: TransferContext, integration: Integration, seen: SeenOrder, messageAttempts = 1): Promise<Outcome> {
  const at = ctx.now().toISOString();
  const shop = shopAdapters[integration.shopModule];
  const shopSettings = await ctx.shopSettings(integration);
  let order: CanonicalOrder;
  try {
    order = shop.toOrder(seen.raw, shopSettings);
  } catch (e) {
    if (e instanceof TransferError) return recordUnreadable(ctx, integration, seen, e, at);
    throw e;
  }
  const outcome = await intakeReadable(ctx, integration, seen, order, at, messageAttempts);
  if (!outcome.done) return outcome;
  const refunds = await intakeRefunds(ctx, integration, seen.raw, order);
  return refunds.done ? outcome : refunds;
}

async function intakeReadable(ctx: TransferContext, integration: Integration, seen: SeenOrder, order: CanonicalOrder, at: string, messageAttempts: number): Promise<Outcome> {
  const shop = shopAdapters[integration.shopModule];
  const shopSettings = await ctx.shopSettings(integration);
  const existing = await getLedgerRow(ctx.db, integration.id, order.shopOrderId);
  const accountingSettings = await ctx.accountingSettings(integration);
  const decision = decideIntake(order, ledgerState(existing), {
    active: seen.active,
    startAt: integration.startAt,
    allowedStates: shop.allowedStates(shopSettings),
    allowDraftUpdates: accountingSettings.allowDraftUpdates !== false,
    isUpdate: seen.isUpdate,
    source: seen.source,
  });
  const base = { integrationId: integration.id, tenantId: integration.tenantId, order, raw: seen.rawText, source: seen.source, importId: seen.importId, at, receivedAt: seen.receivedAt };
  switch (decision.action) {
    case "ignore":
      return DONE;
    case "skip": {
      if (decision.reason === "already_transferred") {
        await recordNote(ctx.db, existing!, "already_transferred", at, "An update of an order that is already transferred: nothing created (R7)", undefined, "already_transferred");
        return DONE;
      }
      await recordSeen(ctx.db, base, "skipped", decision.reason);
      return DONE;
    }
    case "update_draft":
      return updateDraft(ctx, integration, existing!, order, base);
    case "transfer": {
      const row = await recordSeen(ctx.db, base, "pending", null);
      if (seen.inline === false) return { done: true, enqueue: row.shopOrderId };
      return transferRow(ctx, integration, row, messageAttempts);
    }
  }
}

async function recordUnreadable(ctx: TransferContext, integration: Integration, seen: SeenOrder, err: TransferError, at: string): Promise<Outcome> {
  // Without an id there is no ledger row to put it on; the delivery itself is kept (see deliveries).
  const identity = shopAdapters[integration.shopModule].identify(seen.raw);
  if (!identity) {
    console.warn("unreadable order without id", integration.id, err.message);
    return DONE;
  }
  const { shopOrderId, orderNumber } = identity;
  const stub: CanonicalOrder = {
    shopOrderId,
    orderNumber,
    createdAt: at,
    updatedAt: at,
    state: "",
    cancelled: false,
    currency: "",
    pricesIncludeVat: false,
    customer: { name: null, email: null, company: null, countryCode: null, address: null, zip: null, city: null },
    lines: [],
    shipping: [],
    fees: [],
    totals: { net: 0, vat: 0, gross: 0 },
  };
  const existing = await getLedgerRow(ctx.db, integration.id, shopOrderId);
  if (existing?.status === "transferred") return DONE;
  const row = await recordSeen(ctx.db, { integrationId: integration.id, tenantId: integration.tenantId, order: stub, raw: seen.rawText, source: seen.source, importId: seen.importId, at }, "pending", null);
  await markFailed(ctx.db, row, err, at);
  return DONE;
}

/**
 * Transfers one pending ledger row exactly once. A lease keeps concurrent attempts apart; after an
 * uncertain earlier attempt the accounting system is asked for our reference before anything is created;
 * the charge is keyed, so a retry after a crash counts once (R9).
 */
export async function transferRow(ctx: TransferContext, integration: Integration, pendingRow: LedgerRow, messageAttempts = 1): Promise<Outcome> {
  const now = ctx.now();
  const row = await claim(ctx.db, pendingRow.id, now);
  if (!row) {
    const current = await getLedgerRow(ctx.db, integration.id, pendingRow.shopOrderId);
    // Someone else is transferring it: look again when their lease has run out.
    return current?.status === "pending" ? { done: false, delaySeconds: 30 } : DONE;
  }
  const at = now.toISOString();
  const lang = await ctx.merchantLang(integration);
  const reference = documentReference(integration.id, row, lang);
  let order: CanonicalOrder;
  try {
    order = shopAdapters[integration.shopModule].toOrder(JSON.parse(row.received ?? "null"), await ctx.shopSettings(integration));
  } catch (e) {
    const err = e instanceof TransferError ? e : new TransferError("invalid_order", "The order data cannot be read");
    await markFailed(ctx.db, row, err, at);
    return DONE;
  }
  try {
    const session = await ctx.session(integration);
    const problem = await session.check(order);
    if (problem) throw problem;
    // A document of this order and generation may exist already: left by a failed attempt (recorded on
    // the row), or made by an attempt whose answer was lost (found by our reference, booked or not).
    const recorded: DocumentRef | null = row.documentNumber ? { type: row.documentType === "booked" ? "booked" : "draft", number: row.documentNumber } : null;
    const { result, earlier } = await makeDocumentOnce(
      {
        find: () => findOurDocument(session, integration.id, row, lang),
        complete: (document) => session.completeDocument(document, order, reference),
        create: () => session.createDocument(order, reference),
      },
      recorded,
      row.attempts > 1,
    );
    await charge(ctx, integration, row, result.document.number, at);
    await markTransferred(ctx.db, row, result.document, result.sent, at, order.updatedAt, earlier ? "transferred (completed the document of an earlier attempt)" : "transferred");
    // R22: refunds that waited for the invoice follow it.
    await creditWaiting(ctx, integration, row.shopOrderId);
    await accountingAnswered(ctx, integration, at);
    return DONE;
  } catch (e) {
    return settleFailure(e, messageAttempts, {
      retry: (err, delaySeconds) => releaseForRetry(ctx.db, row, err, at, delaySeconds, err.details?.document as DocumentRef | undefined),
      fail: async (err) => {
        // A failed transfer does not count (R9), even when it left a draft (totals_mismatch): it counts once
        // the order is transferred. The last retry of a transient failure records no document as sent.
        await markFailed(ctx.db, row, err, at, err.transient ? undefined : err.details?.sent);
        await accountingFailed(ctx, integration, err, at);
      },
    });
  }
}

/** A document (invoice or credit note) was made: the credential works again, so the side is connected (R26) and a credential incident is over (R25). */
export async function accountingAnswered(ctx: TransferContext, integration: Integration, at: string) {
  const refused = integration.accountingConnection;
  if (refused?.status === "needs_reconnect") {
    await setConnection(ctx.env, integration.id, "accounting", { ...refused, status: "connected", checkedAt: at });
    integration.accountingConnection = { ...refused, status: "connected", checkedAt: at };
  }
  await transferSucceeded(ctx, integration);
}

/** A document failed for good: a refused credential needs reconnecting (R26) and is told at once, once per incident (R25). */
export async function accountingFailed(ctx: TransferContext, integration: Integration, err: TransferError, at: string) {
  if (err.category === "accounting_auth_failed") await markNeedsReconnect(ctx.env, integration, "accounting", at);
  await transferFailed(ctx, integration, err);
}

/**
 * How a failed attempt ends, for invoices and credit notes alike: a transient failure is retried with
 * backoff while retries remain; otherwise it is recorded as failed (after the last retry the message goes
 * on to the dead-letter queue).
 */
export async function settleFailure(
  e: unknown,
  messageAttempts: number,
  on: { retry(err: TransferError, delaySeconds: number): Promise<unknown>; fail(err: TransferError): Promise<unknown> },
): Promise<Outcome> {
  const err = e instanceof TransferError ? e : new TransferError("accounting_unavailable", `Unexpected error: ${e instanceof Error ? e.message : String(e)}`);
  if (err.transient && messageAttempts <= MAX_RETRIES) {
    const delaySeconds = backoffSeconds(messageAttempts, err.retryAfterSeconds);
    await on.retry(err, delaySeconds);
    return { done: false, delaySeconds };
  }
  await on.fail(err);
  return err.transient ? { done: false, delaySeconds: 0 } : DONE;
}

/**
 * R7: the draft is updated in place, under the order's lease, and only with a version newer than the one
 * last sent; the new version is recorded once the update succeeded. A draft booked meanwhile is found by
 * our reference and recorded as booked (a booked invoice is not changed).
 */
async function updateDraft(ctx: TransferContext, integration: Integration, row: LedgerRow, order: CanonicalOrder, seen: { raw: string; at: string }): Promise<Outcome> {
  const held = await claimDraftUpdate(ctx.db, row.id, order.updatedAt, ctx.now());
  if (!held) {
    const current = await getLedgerRow(ctx.db, integration.id, row.shopOrderId);
    const stillNewer = current?.status === "transferred" && current.documentType === "draft" && (!current.orderUpdatedAt || order.updatedAt > current.orderUpdatedAt);
    // Another update holds the draft: look again when its lease has run out. An older version: nothing to do.
    return stillNewer ? { done: false, delaySeconds: 30 } : DONE;
  }
  const document: DocumentRef = { type: "draft", number: held.documentNumber! };
  const lang = await ctx.merchantLang(integration);
  const reference = documentReference(integration.id, held, lang);
  try {
    const session = await ctx.session(integration);
    try {
      const updated = await session.updateDraft(document, order, reference);
      await recordDraftUpdated(ctx.db, held, order, seen.raw, updated.sent, seen.at);
    } catch (e) {
      if (!(e instanceof DocumentGone)) throw e;
      const found = await findOurDocument(session, integration.id, held, lang);
      if (found?.type !== "booked") throw e;
      await releaseDraftUpdate(ctx.db, held, seen.at, "already_transferred", `draft ${document.number} was booked as invoice ${found.number} meanwhile; a booked invoice is not changed (R7)`, found);
    }
    return DONE;
  } catch (e) {
    const err = e instanceof TransferError ? e : new TransferError("accounting_unavailable", String(e));
    await releaseDraftUpdate(ctx.db, held, seen.at, "draft_update_failed", `${err.category}: ${err.message}`);
    return err.transient ? { done: false, delaySeconds: backoffSeconds(1, err.retryAfterSeconds) } : DONE;
  }
}

function charge(ctx: TransferContext, integration: Integration, row: LedgerRow, documentNumber: string, at: string) {
  return chargeOrder(ctx.env, {
    tenantId: integration.tenantId,
    integrationId: integration.id,
    shopOrderId: row.shopOrderId,
    generation: row.generation,
    documentNumber,
    at,
    importId: row.importId,
  });
}

/** Exponential backoff (2, 4, 8 … s, capped at 15 min) that never undercuts the other system's Retry-After. */
export function backoffSeconds(attempt: number, retryAfter?: number) {
  const exp = Math.min(900, 2 ** Math.max(1, attempt));
  return Math.min(43200, Math.max(exp, Math.ceil(retryAfter ?? 0)));
}
