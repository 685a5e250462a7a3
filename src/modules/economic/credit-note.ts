/**
 * A canonical refund → the lines of an e-conomic credit note (R20). Pure.
 *
 * e-conomic has no credit-note endpoint: a credit note is a draft invoice with negative quantities
 * (reference-wave2 §3). The refunded lines are written at the invoice's net unit prices with the refunded
 * quantity negated (held exactly as invoice lines are: one or two lines, see `exactLines`); refunded
 * shipping and an amount refunded without lines go on the shipping product, quantity −1. The line-less
 * amount is gross: its net follows the invoice's VAT treatment (25 % inside for a domestic invoice).
 */
import { documentTotals, type DocumentTotals } from "../../domain/checks";
import { decimalsOf } from "../../domain/currency";
import { TransferError } from "../../domain/errors";
import { splitGross, sumMinor } from "../../domain/money";
import type { CanonicalOrder } from "../../domain/order";
import type { CanonicalRefund } from "../../domain/refund";
import { zoneVatRate, type VatTreatment } from "../../domain/vat";
import { copenhagenDate } from "../../domain/calendar";
import type { CreditNoteInput } from "../types";
import { draftLines, ECONOMIC_DECIMALS, exactLines, heading, referenceText, type DocumentLine, type EconomicDraftInvoice } from "./invoice";
import type { EconomicSettings } from "./settings";

export { creditNoteReference } from "../../domain/refund";

/**
 * The credit note's lines (negative quantities, so negative amounts). Throws totals_mismatch when the
 * refund gives back more than is left to credit of the invoice (its gross less what earlier credit notes took).
 */
export function creditNoteLines(
  order: CanonicalOrder,
  refund: CanonicalRefund,
  opts: { shippingProductNumber: string; treatment: VatTreatment; creditedBefore: number },
): DocumentLine[] {
  if (refund.currency !== order.currency)
    throw new TransferError("invalid_order", `Refund ${refund.refundId} is in ${refund.currency}, but its invoice is in ${order.currency}.`);
  const left = order.totals.gross - opts.creditedBefore;
  if (refund.totals.gross > left)
    throw new TransferError(
      "totals_mismatch",
      `Refund ${refund.refundId} gives back ${refund.totals.gross} (minor units of ${refund.currency}), more than the ${Math.max(0, left)} left to credit of order ${order.orderNumber}.`,
    );
  const lines: DocumentLine[] = [];
  for (const r of refund.lines) {
    const invoiceLine = order.lines.find((l) => l.sku !== null && l.sku === r.sku) ?? order.lines.find((l) => l.description === r.description);
    const productNumber = invoiceLine?.sku ?? r.sku ?? opts.shippingProductNumber;
    const unit = invoiceLine?.unitPriceNet ?? (r.quantity > 0 ? Math.round(r.netAmount / r.quantity) : r.netAmount);
    const held = exactLines(
      { sku: productNumber, description: r.description || invoiceLine?.description || productNumber, quantity: r.quantity, unitPriceNet: unit, discountNet: r.quantity * unit - r.netAmount, netTotal: r.netAmount, vatRate: 0, vatAmount: r.vatAmount },
      productNumber,
    );
    lines.push(...held.map(negate));
  }
  const charge = (description: string, net: number) => (net === 0 ? [] : [negate({ productNumber: opts.shippingProductNumber, description, quantity: 1, unitNetPrice: net, net })]);
  lines.push(...charge("Shipping refunded", refund.shipping.netAmount));
  lines.push(...charge("Amount refunded", splitGross(refund.amountGross, zoneVatRate(opts.treatment)).net));
  return lines;
}

const negate = (l: DocumentLine): DocumentLine => ({ ...l, quantity: -l.quantity, net: -l.net });

/** The credit note's net total (negative). */
export const creditNoteNet = (lines: DocumentLine[]) => sumMinor(lines.map((l) => l.net));

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
  const lines = creditNoteLines(order, refund, { shippingProductNumber: settings.shippingProductNumber, treatment, creditedBefore: input.creditedBefore });
  const credited = { ...order, totals: { net: -refund.totals.net, vat: -refund.totals.vat, gross: -refund.totals.gross } };
  const totals = documentTotals(creditNoteNet(lines), treatment, credited, { ...settings, systemDecimals: ECONOMIC_DECIMALS });
  if (totals.rounding !== 0)
    lines.push({ productNumber: settings.roundingProductNumber!, description: "Rounding", quantity: 1, unitNetPrice: totals.rounding, net: totals.rounding });
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
