/**
 * A refund as a Dinero credit note (R20), kept apart until the credit-note ledger calls it through the
 * accounting contract. `POST /v1/{org}/sales/creditnotes` with `CreditNoteFor` (the credited invoice's
 * Guid) and the refunded lines, positive, on the invoice's account, in its currency, to its contact; our
 * reference in `ExternalReference`, looked up first so a repeated refund never makes a second credit note;
 * booked (`/sales/creditnotes/{guid}/book` with its Timestamp) when documents are booked.
 * (Dinero documents the entity and its book call; creating one directly, rather than generating a full
 * copy with /invoices/{guid}/generate-creditnote, is what php-dinero does: reference-wave2 §1.)
 */
import { TransferError } from "../../domain/errors";
import type { CanonicalOrder, DocumentRef } from "../../domain/order";
import type { CanonicalRefund } from "../../domain/refund";
import { vatTreatment } from "../../domain/vat";
import { copenhagenDate } from "../../lib/time";
import { withDocument } from "../economic/adapter";
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

export async function createCreditNote(session: DineroSession, input: DineroCreditNoteInput): Promise<{ document: DocumentRef; sent: unknown }> {
  const { client, settings } = session;
  const reference = externalReference(input.reference);
  const booked = settings.documentType === "booked";
  const existing = await findByReference<DineroInvoice>(client, "/sales/creditnotes", reference);
  if (existing) {
    if (!booked || existing.Status === "Booked") return { document: documentOf(existing), sent: undefined };
    return book(session, existing, undefined);
  }
  const invoice = await session.invoiceByReference(input.invoiceReference);
  if (!invoice)
    throw new TransferError("accounting_rejected", `Dinero has no invoice for order ${input.order.orderNumber} to credit (reference "${externalReference(input.invoiceReference)}").`, {
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
  return booked ? book(session, draft, body) : { document: documentOf(draft), sent: body };
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
