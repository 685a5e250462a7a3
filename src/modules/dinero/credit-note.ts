/**
 * A refund as a Dinero credit note (R20), kept apart until the credit-note ledger calls it through the
 * accounting contract. `POST /v1/{org}/sales/creditnotes` with `CreditNoteFor` (the credited invoice's
 * Guid) and the refunded lines, positive, on the invoice's account, in its currency, to its contact; our
 * reference in `ExternalReference`, looked up first so a repeated refund never makes a second credit note;
 * booked (`/sales/creditnotes/{guid}/book` with its Timestamp) when documents are booked.
 * (Dinero documents the entity and its book call; creating one directly, rather than generating a full
 * copy with /invoices/{guid}/generate-creditnote, is what php-dinero does: reference-wave2 §1.)
 */
import { TransferError, withDocument } from "../../domain/errors";
import type { CanonicalOrder, DocumentRef } from "../../domain/order";
import type { CanonicalRefund } from "../../domain/refund";
import { vatTreatment } from "../../domain/vat";
import { copenhagenDate } from "../../domain/calendar";
import { bookWithTimestamp, documentOf, findByReference, type DineroInvoice, type DineroSession } from "./adapter";
import { creditLines, externalReference, orderText } from "./invoice";

export interface DineroCreditNoteInput {
  order: CanonicalOrder;
  refund: CanonicalRefund;
  /** Our reference of the invoice being credited. */
  invoiceReference: string;
  /** Our reference of this credit note (integration, order, refund id). */
  reference: string;
  /** Gross already credited by earlier credit notes of the invoice. */
  creditedBefore: number;
}

/**
 * The credit note of one refund, looked up by its reference first so a repeated refund never makes a
 * second one (the standalone form; the transfer core looks up itself after an uncertain attempt).
 */
export async function createCreditNote(session: DineroSession, input: DineroCreditNoteInput): Promise<{ document: DocumentRef; sent: unknown }> {
  const existing = await findCreditNote(session, input.reference);
  if (existing) return completeCreditNote(session, existing);
  return makeCreditNote(session, input, await session.invoiceByReference(input.invoiceReference));
}

/** The credit note carrying our reference in ExternalReference, if Dinero has one. */
export function findCreditNote(session: DineroSession, reference: string) {
  return findByReference<DineroInvoice>(session.client, "/sales/creditnotes", externalReference(reference));
}

/** A credit note left by an earlier attempt: booked when documents are booked (never twice). */
export async function completeCreditNote(session: DineroSession, note: DineroInvoice) {
  if (session.settings.documentType !== "booked" || note.Status === "Booked") return { document: documentOf(note), sent: undefined };
  return book(session, note, undefined);
}

/** Reads a credit note by its Guid (a recorded draft). */
export const readCreditNote = (session: DineroSession, guid: string) => session.client.get<DineroInvoice>(`/sales/creditnotes/${encodeURIComponent(guid)}`);

/**
 * The invoice a credit note of the transfer core credits: a draft is its Guid (and its contact is in the
 * body as sent); a booked one is known by its number, so it is found by the reference it was sent with.
 */
export async function creditedInvoice(session: DineroSession, invoice: DocumentRef, invoiceSent: unknown, invoiceReference?: string): Promise<DineroInvoice | null> {
  const sent = (invoiceSent ?? {}) as { ContactGuid?: string; ExternalReference?: string };
  if (invoice.type === "draft" && sent.ContactGuid) return { Guid: invoice.number, ContactGuid: sent.ContactGuid, Status: "Draft" };
  if (invoice.type === "draft") return session.client.get<DineroInvoice>(`/invoices/${encodeURIComponent(invoice.number)}`);
  const reference = sent.ExternalReference ?? invoiceReference;
  return reference ? session.invoiceByReference(reference) : null;
}

/** POST /sales/creditnotes for the invoice, booked when documents are booked. */
export async function makeCreditNote(session: DineroSession, input: Omit<DineroCreditNoteInput, "invoiceReference">, invoice: DineroInvoice | null): Promise<{ document: DocumentRef; sent: unknown }> {
  const { client, settings } = session;
  const reference = externalReference(input.reference);
  if (!invoice)
    throw new TransferError("accounting_rejected", `Dinero has no invoice for order ${input.order.orderNumber} to credit.`, {
      hint: "Overfør ordren igen, så fakturaen findes i Dinero, og overfør så refusionen. / Transfer the order again so its invoice exists in Dinero, then the refund.",
    });
  const decision = vatTreatment(input.order);
  if (decision.error) throw decision.error;
  const invoiceName = invoice.Number ? `faktura ${invoice.Number}` : "fakturakladden";
  const body = {
    CreditNoteFor: invoice.Guid,
    ContactGuid: invoice.ContactGuid,
    Date: copenhagenDate(input.refund.createdAt),
    Currency: input.order.currency,
    Language: "da-DK",
    ExternalReference: reference,
    Description: `Kreditnota for ${invoiceName}, ${orderText(input.order.orderNumber).toLowerCase()}, refusion ${input.refund.refundId}`,
    ShowLinesInclVat: false,
    ProductLines: creditLines(input.order, input.refund, settings, decision.treatment, input.creditedBefore),
  };
  const created = await client.post<{ Guid?: string; TimeStamp?: string }>("/sales/creditnotes", body);
  if (!created?.Guid) throw new TransferError("accounting_unavailable", "Dinero answered POST /sales/creditnotes without the credit note's Guid.");
  const draft: DineroInvoice = { Guid: created.Guid, Status: "Draft", TimeStamp: created.TimeStamp };
  return settings.documentType === "booked" ? book(session, draft, body) : { document: documentOf(draft), sent: body };
}

async function book(session: DineroSession, note: DineroInvoice, body: unknown) {
  const draft = documentOf(note);
  try {
    return { document: documentOf(await bookWithTimestamp(session.client, `/sales/creditnotes/${encodeURIComponent(note.Guid)}`, note.TimeStamp)), sent: body };
  } catch (e) {
    if (e instanceof TransferError) throw withDocument(e, draft, body, ` Credit note draft ${draft.number} was created but not booked.`);
    throw e;
  }
}
