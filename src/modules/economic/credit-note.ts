/**
 * A canonical refund → an e-conomic credit note (R20). Pure.
 *
 * e-conomic has no credit-note endpoint: a credit note is a draft invoice with negative quantities
 * (reference-wave2 §3). Its lines are the shared refund plan (`creditNoteLines` in
 * domain/document-plan.ts), written as draft lines.
 */
import { documentTotals, type DocumentTotals } from "../../domain/checks";
import { creditNoteLines, creditNoteNet, withRounding } from "../../domain/document-plan";
import { decimalsOf } from "../../domain/currency";
import type { VatTreatment } from "../../domain/vat";
import { copenhagenDate } from "../../domain/calendar";
import type { CreditNoteInput } from "../types";
import { draftLines, ECONOMIC_DECIMALS, heading, referenceText, type EconomicDraftInvoice } from "./invoice";
import type { EconomicSettings } from "./settings";

export { creditNoteReference } from "../../domain/refund";

/**
 * The credit note's draft (R20): the invoice's customer, recipient (so its VAT zone), currency, exchange
 * rate, layout and payment terms, dated the refund's day (Europe/Copenhagen), with the refund's lines
 * negated. Its totals are checked against the refund's own total, with the rounding line as for invoices;
 * `totals.error` is totals_mismatch when they cannot match (the draft is then made but never booked).
 */
export function buildCreditNote(
  input: CreditNoteInput,
  invoice: Pick<EconomicDraftInvoice, "currency" | "exchangeRate" | "customer" | "recipient" | "layout" | "paymentTerms">,
  treatment: VatTreatment,
  settings: Pick<EconomicSettings, "shippingProductNumber" | "roundingProductNumber" | "roundingThreshold">,
): { body: EconomicDraftInvoice; totals: DocumentTotals } {
  const { order, refund } = input;
  const planned = creditNoteLines(order, refund, { shippingProductNumber: settings.shippingProductNumber, treatment, creditedBefore: input.creditedBefore });
  const credited = { ...order, totals: { net: -refund.totals.net, vat: -refund.totals.vat, gross: -refund.totals.gross } };
  const totals = documentTotals(creditNoteNet(planned), treatment, credited, { ...settings, systemDecimals: ECONOMIC_DECIMALS });
  const lines = withRounding(planned, totals, settings.roundingProductNumber!);
  const body: EconomicDraftInvoice = {
    currency: invoice.currency,
    ...(invoice.exchangeRate !== undefined ? { exchangeRate: invoice.exchangeRate } : {}),
    customer: { customerNumber: invoice.customer.customerNumber },
    date: copenhagenDate(refund.createdAt),
    layout: invoice.layout,
    paymentTerms: invoice.paymentTerms,
    recipient: invoice.recipient,
    references: { other: referenceText(input.reference) },
    notes: { heading: heading(`Credit note for invoice ${input.invoice.number}, order ${order.orderNumber}`) },
    lines: draftLines(lines, decimalsOf(order.currency)),
  };
  return { body, totals };
}
