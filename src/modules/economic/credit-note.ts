/**
 * A canonical refund → the lines of an e-conomic credit note (R20). Pure.
 *
 * e-conomic has no credit-note endpoint: a credit note is a draft invoice with negative quantities
 * (reference-wave2 §3). The refunded lines are written at the invoice's net unit prices with the refunded
 * quantity negated (held exactly as invoice lines are: one or two lines, see `exactLines`); refunded
 * shipping and an amount refunded without lines go on the shipping product, quantity −1. The line-less
 * amount is gross: its net follows the invoice's VAT treatment (25 % inside for a domestic invoice).
 */
import { TransferError } from "../../domain/errors";
import { splitGross, sumMinor } from "../../domain/money";
import type { CanonicalOrder } from "../../domain/order";
import type { CanonicalRefund } from "../../domain/refund";
import { zoneVatRate, type VatTreatment } from "../../domain/vat";
import { exactLines, type DocumentLine } from "./invoice";

/** `references.other` of a credit note: the refund id, the invoice number and the order number, each its own word. */
export const creditNoteReference = (refundId: string, invoiceNumber: string, orderNumber: string, integrationRef: string) =>
  `Refund ${refundId} invoice ${invoiceNumber} order ${orderNumber} ${integrationRef}`;

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
