/**
 * The canonical refund (R20–R22): what one refund of an order gave back, shop-independent, in the same
 * document currency and minor units as its order (R24), so its credit note can mirror the invoice.
 * Amounts are positive (what was given back); a credit note writes them with negative quantities.
 */
import { sumMinor } from "./money";

export interface RefundLine {
  /** The shop's id of the refunded order line (Shopify `line_item_id`), when it gives one. */
  shopLineId: string | null;
  sku: string | null;
  description: string;
  /** Whole units given back (0 for a line refunded by amount only). */
  quantity: number;
  /** Net amount of the refunded units, VAT excluded. */
  netAmount: number;
  vatAmount: number;
}

export interface RefundCharge {
  netAmount: number;
  vatAmount: number;
}

export interface CanonicalRefund {
  /** The shop's refund id as a string; "cancel" for R21's cancellation credit. */
  refundId: string;
  shopOrderId: string;
  createdAt: string;
  /** The document currency of the order (R24). */
  currency: string;
  lines: RefundLine[];
  /** Refunded shipping. */
  shipping: RefundCharge;
  /** An amount refunded without lines (Shopify refund discrepancy, an amount-only refund): gross, VAT split by the invoice's treatment. */
  amountGross: number;
  totals: { net: number; vat: number; gross: number };
}

/**
 * Our reference on a credit note (R20): the refund id, the invoice number and the order number, each its
 * own word, and the integration's mark that makes it unique (looked up after a lost answer).
 */
export const creditNoteReference = (refundId: string, invoiceNumber: string, orderNumber: string, integrationRef: string) =>
  `Refund ${refundId} invoice ${invoiceNumber} order ${orderNumber} ${integrationRef}`;

/** A canonical refund from its parts, its totals computed (the one way shops build one). */
export const canonicalRefund = (r: Omit<CanonicalRefund, "totals">): CanonicalRefund => ({ ...r, totals: refundTotals(r) });

/** The refund id of R21's credit for a cancellation without a covering refund. */
export const CANCEL_REFUND_ID = "cancel";

/** Totals of a refund from its parts (the line-less amount counts as gross, its VAT unknown until the invoice's treatment). */
export function refundTotals(r: Pick<CanonicalRefund, "lines" | "shipping" | "amountGross">): CanonicalRefund["totals"] {
  const net = sumMinor([...r.lines.map((l) => l.netAmount), r.shipping.netAmount]);
  const vat = sumMinor([...r.lines.map((l) => l.vatAmount), r.shipping.vatAmount]);
  return { net, vat, gross: sumMinor([net, vat, r.amountGross]) };
}

/**
 * R21: what a cancelled order still owes a credit for: its gross total less every refund already made.
 * Null when the refunds cover it (nothing to credit) or the order was never invoiced.
 */
export function cancellationCredit(order: { shopOrderId: string; currency: string; totals: { gross: number } }, refunds: CanonicalRefund[], at: string): CanonicalRefund | null {
  const refunded = sumMinor(refunds.map((r) => r.totals.gross));
  const rest = order.totals.gross - refunded;
  if (rest <= 0) return null;
  const shipping = { netAmount: 0, vatAmount: 0 };
  return canonicalRefund({ refundId: CANCEL_REFUND_ID, shopOrderId: order.shopOrderId, createdAt: at, currency: order.currency, lines: [], shipping, amountGross: rest });
}
