/**
 * The document plan that every accounting module shares (issue #12), in neutral words. Pure.
 *
 * Invoice: the order's lines by SKU, each held exactly (one or two lines, see `exactLines`), shipping and
 * fees on the shipping product, and, after the totals check (`documentTotals` in checks.ts), the rounding
 * line. Credit note (R20): the refund's lines at the invoice's net unit prices with the quantity negated,
 * refunded shipping and an amount refunded without lines on the shipping product. Each module writes
 * these lines in its own body (e-conomic draft lines, Billy invoice lines, Dinero product lines).
 *
 * A line is exact when its quantity × unit price (less a percentage discount) is its net to the minor
 * unit, so no system rounds it:
 * 1. no discount: the unit price;
 * 2. the discount is a percentage with at most two decimals of quantity × unit price (20 %, 12.5 %):
 *    the unit price and the percentage, so the document shows the shop's discount;
 * 3. the discounted net divides by the quantity: that as the unit price;
 * 4. otherwise two lines of the same product, (quantity − r) at ⌊net/quantity⌋ and r at one minor unit
 *    more, where r = net mod quantity.
 * A currency with more decimals than the system holds (KWD in a two-decimal system) is planned in steps of
 * what the system holds; what cannot be held goes on the rounding line within the threshold.
 */
import { chargedShipping, type DocumentTotals } from "./checks";
import { decimalsOf } from "./currency";
import { TransferError } from "./errors";
import { divideRounded, splitGross, sumMinor } from "./money";
import type { CanonicalOrder, OrderLine } from "./order";
import type { CanonicalRefund } from "./refund";
import { zoneVatRate, type VatTreatment } from "./vat";

/** The decimals the accounting systems hold amounts in (e-conomic: error E04740); a module with more passes its own. */
export const TWO_DECIMALS = 2;

/** A document line in minor units, before it is written as e-conomic decimals. */
export interface DocumentLine {
  productNumber: string;
  description: string;
  quantity: number;
  unitNetPrice: number;
  /** Basis points of quantity × unitNetPrice (form 2 only). */
  discountBp?: number;
  /** The line's exact net amount. */
  net: number;
}

/** The document heading: "Order #1001" (an order number that already carries the # keeps it). */
export const orderHeading = (orderNumber: string) => (orderNumber.startsWith("#") ? `Order ${orderNumber}` : `Order #${orderNumber}`);

/**
 * One order line as one or two exact document lines (see the file comment). `step` is the smallest amount
 * the system holds, in the currency's minor units (1; 10 for KWD in e-conomic): the line is built in
 * steps, and its net differs from the order's by less than one step only when the order's is finer.
 */
export function exactLines(line: OrderLine, productNumber: string, step = 1): DocumentLine[] {
  if (step > 1) {
    const inSteps = exactLines(
      {
        ...line,
        unitPriceNet: divideRounded(line.unitPriceNet, step),
        discountNet: line.quantity * divideRounded(line.unitPriceNet, step) - divideRounded(line.netTotal, step),
        netTotal: divideRounded(line.netTotal, step),
      },
      productNumber,
    );
    return inSteps.map((l) => ({ ...l, unitNetPrice: l.unitNetPrice * step, net: l.net * step }));
  }
  const { quantity: q, unitPriceNet: p, discountNet: d, netTotal: net } = line;
  const base = { productNumber, description: line.description };
  if (q <= 0) return net === 0 ? [] : [{ ...base, quantity: 1, unitNetPrice: net, net }];
  const gross = q * p;
  if (gross === net) return [{ ...base, quantity: q, unitNetPrice: p, net }];
  if (d > 0 && gross - d === net && (d * 10_000) % gross === 0)
    return [{ ...base, quantity: q, unitNetPrice: p, discountBp: (d * 10_000) / gross, net }];
  if (net % q === 0) return [{ ...base, quantity: q, unitNetPrice: net / q, net }];
  const unit = Math.floor(net / q);
  const r = net - unit * q;
  return [
    { ...base, quantity: q - r, unitNetPrice: unit, net: (q - r) * unit },
    { ...base, quantity: r, unitNetPrice: unit + 1, net: r * (unit + 1) },
  ];
}

/** The document's lines: order lines by SKU, shipping and fees on the shipping product. */
export function documentLines(order: CanonicalOrder, shippingProductNumber: string, systemDecimals = TWO_DECIMALS): DocumentLine[] {
  const step = stepOf(order.currency, systemDecimals);
  const charge = (description: string, exact: number): DocumentLine => {
    const net = divideRounded(exact, step) * step;
    return { productNumber: shippingProductNumber, description, quantity: 1, unitNetPrice: net, net };
  };
  return [
    ...order.lines.flatMap((l) => exactLines(l, l.sku ?? "", step)),
    ...chargedShipping(order).map((s) => charge(s.description || "Shipping", s.netAmount)),
    // Settings have no fee product: fees (e.g. a payment fee) go on the shipping product with their own text.
    ...order.fees.filter((f) => f.netAmount !== 0).map((f) => charge(f.description || "Fee", f.netAmount)),
  ];
}

/** The smallest amount a system holding `systemDecimals` takes in a currency, in its minor units: 1, or 10 for a 3-decimal currency in a 2-decimal system. */
export const stepOf = (currency: string, systemDecimals = TWO_DECIMALS) => 10 ** Math.max(0, decimalsOf(currency) - systemDecimals);


/** The plan with its rounding line (on the rounding product) when the totals check asked for one. */
export function withRounding(lines: DocumentLine[], totals: Pick<DocumentTotals, "rounding">, roundingProductNumber: string): DocumentLine[] {
  if (totals.rounding !== 0) lines.push({ productNumber: roundingProductNumber, description: "Rounding", quantity: 1, unitNetPrice: totals.rounding, net: totals.rounding });
  return lines;
}

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

