/**
 * Refunds and cancellations into credit notes (R20–R23), through the same queue, lease, look-up after an
 * uncertain attempt, retries and dead-letter handling as invoices. Intake records every refund under its
 * identity (integration, shop order id, refund id) and decides: `pending` when its order's invoice is
 * transferred, `waiting` until then (R22), `skipped` when creditRefunds is off (R23). Credit notes never
 * charge (R23): nothing here calls the account.
 */
import { DocumentGone, TransferError } from "../domain/errors";
import type { CanonicalOrder, DocumentRef } from "../domain/order";
import { CANCEL_REFUND_ID, cancellationCredit, creditNoteReference, type CanonicalRefund } from "../domain/refund";
import type { Integration } from "../integrations/store";
import { shopAdapters } from "../modules/adapters";
import type { CreditNoteInput } from "../modules/types";
import {
  claimCreditNote,
  creditNotesOfOrder,
  earlierPending,
  fixReference,
  getCreditNote,
  markCreditNoteFailed,
  markCreditNoteTransferred,
  recordRefund,
  releaseCreditNoteForRetry,
  releaseWaiting,
  setCreditNoteStatus,
  type CreditNoteRow,
} from "./credit-note-store";
import { makeDocumentOnce } from "./earlier-document";
import { getLedgerRow, type LedgerRow } from "./ledger-store";
import { type TransferMessage, enqueue } from "./messages";
import { openShopClient } from "./poll";
import { accountingAnswered, accountingFailed, documentReference, DONE, settleFailure, type Outcome, type TransferContext } from "./transfer";

/** How long a credit note waits for an earlier one of its order before it looks again. */
const FOLLOW_SECONDS = 10;

const creditRefundsOn = async (ctx: TransferContext, integration: Integration) => (await ctx.accountingSettings(integration)).creditRefunds !== false;

/** What a refund of this order is when it is recorded: it goes on only once the invoice is in the books. */
function refundStatus(order: LedgerRow | undefined, creditOn: boolean): "waiting" | "pending" | "skipped" {
  if (!creditOn) return "skipped";
  return order?.status === "transferred" && order.documentNumber ? "pending" : "waiting";
}

const parseRefund = (row: CreditNoteRow): CanonicalRefund | null => (row.refund ? (JSON.parse(row.refund) as CanonicalRefund) : null);

/**
 * The refunds an order's JSON names (any source: webhook, poll, reconciliation, import), refunds that came
 * on their own before it, and R21's cancellation credit; the pending ones are transferred now.
 */
export async function intakeRefunds(ctx: TransferContext, integration: Integration, raw: unknown, order: CanonicalOrder): Promise<Outcome> {
  const shop = shopAdapters[integration.shopModule];
  const row = await getLedgerRow(ctx.db, integration.id, order.shopOrderId);
  if (!row) return DONE;
  const at = ctx.now().toISOString();
  const settings = await ctx.shopSettings(integration);
  const known = await creditNotesOfOrder(ctx.db, integration.id, order.shopOrderId);
  const refunds: CanonicalRefund[] = [];
  try {
    if (shop.refunds) refunds.push(...(await shop.refunds(raw, settings, new Set(known.filter((k) => k.refund).map((k) => k.refundId)), () => openShopClient(ctx, integration))));
  } catch (e) {
    if (!(e instanceof TransferError)) throw e;
    // The shop could not be asked: the delivery is tried again. Refunds that cannot be read are left for
    // the next version of the order (never guessed).
    if (e.transient) return { done: false, delaySeconds: 30 };
    console.warn("refunds unreadable", integration.id, order.shopOrderId, e.message);
  }
  // Refunds delivered on their own before their order was known are read now, with it.
  for (const k of known) {
    if (k.refund || !k.raw || !shop.refundOf || refunds.some((r) => r.refundId === k.refundId)) continue;
    try {
      refunds.push(shop.refundOf(JSON.parse(k.raw), raw, settings));
    } catch (e) {
      if (!(e instanceof TransferError)) throw e;
      await markCreditNoteFailed(ctx.db, k, e, at);
    }
  }
  const status = refundStatus(row, await creditRefundsOn(ctx, integration));
  const base = { integrationId: integration.id, tenantId: integration.tenantId, shopOrderId: order.shopOrderId, at };
  const rows: CreditNoteRow[] = [];
  for (const r of refunds) rows.push(await recordRefund(ctx.db, { ...base, refundId: r.refundId, refund: r, amount: r.totals.gross, currency: r.currency }, status));
  // R21: a cancelled order that is (or will be) invoiced is credited for what no refund gave back.
  if (order.cancelled && (row.status === "transferred" || row.status === "pending")) {
    const all = await creditNotesOfOrder(ctx.db, integration.id, order.shopOrderId);
    if (!all.some((c) => c.refundId === CANCEL_REFUND_ID)) {
      const credit = cancellationCredit(order, all.flatMap((c) => parseRefund(c) ?? []), at);
      if (credit) rows.push(await recordRefund(ctx.db, { ...base, refundId: credit.refundId, refund: credit, amount: credit.totals.gross, currency: credit.currency }, status));
    }
  }
  await transferNow(ctx, integration, rows.filter((r) => r.status === "pending"));
  return DONE;
}

/**
 * A refund delivered on its own (Shopify `refunds/create`). Read with its order when the ledger has it;
 * otherwise recorded as it came and waiting for the order (never lost).
 */
export async function intakeRefundDelivery(ctx: TransferContext, integration: Integration, rawRefund: unknown, rawText: string): Promise<Outcome> {
  const shop = shopAdapters[integration.shopModule];
  const shopOrderId = shop.refundOrderId?.(rawRefund) ?? null;
  const refundId = rawRefund && typeof rawRefund === "object" ? (rawRefund as { id?: unknown }).id : undefined;
  if (!shopOrderId || (typeof refundId !== "string" && typeof refundId !== "number") || !shop.refundOf) {
    console.warn("refund without order id or refund id", integration.id);
    return DONE;
  }
  const at = ctx.now().toISOString();
  const row = await getLedgerRow(ctx.db, integration.id, shopOrderId);
  const base = { integrationId: integration.id, tenantId: integration.tenantId, shopOrderId, refundId: String(refundId), raw: rawText, at };
  if (!row?.received || !row.currency) {
    await recordRefund(ctx.db, { ...base, refund: null, amount: 0, currency: "" }, "waiting");
    return DONE;
  }
  let refund: CanonicalRefund;
  try {
    refund = shop.refundOf(rawRefund, JSON.parse(row.received), await ctx.shopSettings(integration));
  } catch (e) {
    if (!(e instanceof TransferError)) throw e;
    const recorded = await recordRefund(ctx.db, { ...base, refund: null, amount: 0, currency: row.currency }, "waiting");
    await markCreditNoteFailed(ctx.db, recorded, e, at);
    return DONE;
  }
  const recorded = await recordRefund(ctx.db, { ...base, refund, amount: refund.totals.gross, currency: refund.currency }, refundStatus(row, await creditRefundsOn(ctx, integration)));
  if (recorded.status === "pending") await transferNow(ctx, integration, [recorded]);
  return DONE;
}

/** R22: the order's invoice is in the books now, so the refunds that waited for it follow, each as its own credit note. */
export async function creditWaiting(ctx: TransferContext, integration: Integration, shopOrderId: string) {
  try {
    const released = await releaseWaiting(ctx.db, integration.id, shopOrderId, (await creditRefundsOn(ctx, integration)) ? "pending" : "skipped", ctx.now().toISOString());
    await transferNow(ctx, integration, released.filter((r) => r.status === "pending"));
  } catch (e) {
    // The invoice stays transferred; rows left pending are picked up by the cron relay.
    console.error("credit notes after the invoice", integration.id, shopOrderId, e instanceof Error ? e.message : String(e));
  }
}

export const creditNoteMessage = (row: Pick<CreditNoteRow, "integrationId" | "shopOrderId" | "refundId">): TransferMessage => ({
  type: "credit_note",
  integrationId: row.integrationId,
  shopOrderId: row.shopOrderId,
  refundId: row.refundId,
});

/** Transfers pending credit notes one after the other (in the shop's order); one to retry goes on its own message. */
async function transferNow(ctx: TransferContext, integration: Integration, rows: CreditNoteRow[]) {
  for (const row of rows) {
    const outcome = await transferCreditNote(ctx, integration, row, 1);
    if (!outcome.done) await enqueue(ctx.env, creditNoteMessage(row), outcome.delaySeconds);
  }
}

/** The `credit_note` queue message: one credit note, from its current row. */
export async function handleCreditNoteMessage(ctx: TransferContext, integration: Integration, body: Extract<TransferMessage, { type: "credit_note" }>, attempts: number) {
  const row = await getCreditNote(ctx.db, integration.id, body.shopOrderId, body.refundId);
  if (!row || row.status !== "pending") return DONE;
  return transferCreditNote(ctx, integration, row, attempts);
}

/**
 * Makes one refund's credit note exactly once: the row's lease keeps concurrent attempts apart, our
 * reference (fixed at the first attempt) is looked up after an uncertain one, and a refund larger than
 * what is left to credit fails as totals_mismatch.
 */
export async function transferCreditNote(ctx: TransferContext, integration: Integration, pending: CreditNoteRow, messageAttempts: number): Promise<Outcome> {
  const now = ctx.now();
  const row = await claimCreditNote(ctx.db, pending.id, now);
  if (!row) {
    const current = await getCreditNote(ctx.db, integration.id, pending.shopOrderId, pending.refundId);
    return current?.status === "pending" ? { done: false, delaySeconds: 30 } : DONE;
  }
  const at = now.toISOString();
  const invoiceRow = await getLedgerRow(ctx.db, integration.id, row.shopOrderId);
  if (refundStatus(invoiceRow, true) === "waiting") {
    await setCreditNoteStatus(ctx.db, row, "waiting", at);
    return DONE;
  }
  if (!(await creditRefundsOn(ctx, integration))) {
    await setCreditNoteStatus(ctx.db, row, "skipped", at);
    return DONE;
  }
  if (await earlierPending(ctx.db, row)) {
    // An earlier credit note of this order is still on its way: this one follows it (a fresh message, so
    // waiting for it never uses up this one's retries; the cron relay picks it up as well).
    await releaseCreditNoteForRetry(ctx.db, row, at, FOLLOW_SECONDS);
    await enqueue(ctx.env, creditNoteMessage(row), FOLLOW_SECONDS);
    return DONE;
  }
  try {
    const shop = shopAdapters[integration.shopModule];
    const shopSettings = await ctx.shopSettings(integration);
    const rawOrder = JSON.parse(invoiceRow!.received ?? "null");
    const order = shop.toOrder(rawOrder, shopSettings);
    const refund = parseRefund(row) ?? (row.raw && shop.refundOf ? shop.refundOf(JSON.parse(row.raw), rawOrder, shopSettings) : null);
    if (!refund) throw new TransferError("invalid_order", `Refund ${row.refundId} cannot be read`);
    const siblings = await creditNotesOfOrder(ctx.db, integration.id, row.shopOrderId);
    const creditedBefore = siblings.filter((s) => s.id !== row.id && s.status === "transferred").reduce((sum, s) => sum + s.amount, 0);
    const session = await ctx.session(integration);
    const { createCreditNote, completeCreditNote } = session;
    if (!createCreditNote)
      throw new TransferError("accounting_rejected", `Credit notes cannot be made in ${integration.accountingModule} by orderbridge yet; refund ${row.refundId} is recorded.`, {
        hint: "Credit the refund by hand in the accounting system, or turn off creditRefunds.",
      });
    const invoice: DocumentRef = { type: invoiceRow!.documentType === "booked" ? "booked" : "draft", number: invoiceRow!.documentNumber! };
    const gen = row.generation ? `/${row.generation}` : "";
    const reference = await fixReference(ctx.db, row, creditNoteReference(refund.refundId, invoice.number, order.orderNumber, `ob:${integration.id}${gen}`));
    const input: CreditNoteInput = {
      order,
      invoice,
      invoiceSent: invoiceRow!.sent ? JSON.parse(invoiceRow!.sent) : null,
      invoiceReference: documentReference(integration.id, invoiceRow!),
      refund,
      creditedBefore,
      reference,
    };
    const recorded: DocumentRef | null = row.documentNumber ? { type: row.documentType === "booked" ? "booked" : "draft", number: row.documentNumber } : null;
    const { result } = await makeDocumentOnce(
      {
        find: () => (session.findCreditNote ?? session.findDocument).call(session, reference),
        complete: async (document) => {
          if (completeCreditNote) return completeCreditNote.call(session, document, input);
          if (document.type === "booked") return { document, sent: undefined };
          throw new DocumentGone(document, integration.accountingModule);
        },
        create: () => createCreditNote.call(session, input),
      },
      recorded,
      row.attempts > 1,
    );
    await markCreditNoteTransferred(ctx.db, row, result.document, result.sent, at);
    await accountingAnswered(ctx, integration, at);
    return DONE;
  } catch (e) {
    return settleFailure(e, messageAttempts, {
      retry: (err, delaySeconds) => releaseCreditNoteForRetry(ctx.db, row, at, delaySeconds, err.details?.document as DocumentRef | undefined),
      fail: async (err) => {
        await markCreditNoteFailed(ctx.db, row, err, at);
        await accountingFailed(ctx, integration, err, at);
      },
    });
  }
}

/** The dead-letter queue: a credit note whose retries ran out shows failed, never pending for ever. */
export async function deadCreditNote(ctx: TransferContext, body: Extract<TransferMessage, { type: "credit_note" }>) {
  const row = await getCreditNote(ctx.db, body.integrationId, body.shopOrderId, body.refundId);
  if (row?.status === "pending")
    await markCreditNoteFailed(ctx.db, row, new TransferError("accounting_unavailable", "The accounting system did not answer after repeated retries"), new Date().toISOString());
}
