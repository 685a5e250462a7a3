/**
 * WooCommerce refunds (`GET /wp-json/wc/v3/orders/{id}/refunds`) → CanonicalRefund (R20).
 *
 * WooCommerce has no refund webhook topic: a refund fires `order.updated`, whose order JSON lists its
 * refunds only as `{id, reason, total}`; the module then reads the refunds themselves, and only when the
 * list names one not recorded yet (reference-wave2 §5). A refund's line items, shipping and fee lines
 * carry negative quantities and amounts; they are read as what was given back (absolute values). `amount`
 * is what was refunded, gross: what it holds beyond the refunded lines and shipping (fees, an amount
 * refunded without lines) is the line-less amount.
 */
import { requireCurrency } from "../../domain/currency";
import { moneyField, sumMinor } from "../../domain/money";
import { canonicalRefund, refundTotals, type CanonicalRefund, type RefundLine } from "../../domain/refund";
import { isObj, listedRefunds, type Obj, orderReader, text } from "../order-json";
import type { ShopAdapter } from "../types";

const read = orderReader("WooCommerce");

/** One refund of a WooCommerce order (its JSON as the refunds endpoint gives it), in the order's currency. */
export function woocommerceRefund(rawRefund: unknown, rawOrder: unknown): CanonicalRefund {
  const o = read.order(rawOrder);
  if (!isObj(rawRefund)) throw read.invalid("the refund is not an object");
  const r: Obj = rawRefund;
  const currency = requireCurrency(read.requiredText(o.currency, "currency"));
  const money = moneyField(currency.decimals);
  const abs = (v: unknown, field: string) => Math.abs(money(v, field, 0));
  const refundId = read.orderId(r.id, "refund.id");
  const lines: RefundLine[] = read.list(r.line_items, "refund.line_items").map((l, i) => {
    const at = `refund.line_items[${i}]`;
    const refundedItem = read.list(l.meta_data, `${at}.meta_data`).find((m) => m.key === "_refunded_item_id");
    return {
      shopLineId: refundedItem?.value != null ? String(refundedItem.value) : null,
      sku: text(l.sku),
      description: text(l.name) ?? "",
      quantity: Math.abs(Number(l.quantity ?? 0)) || 0,
      netAmount: abs(l.total, `${at}.total`),
      vatAmount: abs(l.total_tax, `${at}.total_tax`),
    };
  });
  const shippingLines = read.list(r.shipping_lines, "refund.shipping_lines");
  const shipping = {
    netAmount: sumMinor(shippingLines.map((s, i) => abs(s.total, `refund.shipping_lines[${i}].total`))),
    vatAmount: sumMinor(shippingLines.map((s, i) => abs(s.total_tax, `refund.shipping_lines[${i}].total_tax`))),
  };
  const itemized = refundTotals({ lines, shipping, amountGross: 0 }).gross;
  // `amount` takes precedence over the line totals (WooCommerce refunds API).
  const amountGross = abs(r.amount, "refund.amount") - itemized;
  return canonicalRefund({
    refundId,
    shopOrderId: read.orderId(o.id, "id"),
    createdAt: read.utcTime(r.date_created_gmt ?? r.date_created, "refund.date_created_gmt"),
    currency: currency.code,
    lines,
    shipping,
    amountGross,
  });
}

/** WooCommerce: the order lists its refunds by id; new ones are read from the shop. */
export const woocommerceRefundReading: Pick<ShopAdapter, "refunds"> = {
  async refunds(raw, _settings, known, client) {
    const o = read.order(raw);
    const listed = read.list(o.refunds, "refunds").map((s) => String(s.id));
    if (!listed.some((id) => !known.has(id))) return [];
    return listedRefunds(client, read.orderId(o.id, "id"), (r) => woocommerceRefund(r, raw));
  },
};

/** The sandbox shop keeps its refunds whole in the order JSON (WooCommerce refund shape): nothing to ask. */
export const embeddedRefundReading: Pick<ShopAdapter, "refunds"> = {
  refunds: async (raw) => read.list(read.order(raw).refunds, "refunds").map((r) => woocommerceRefund(r, raw)),
};
