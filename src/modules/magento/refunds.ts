/**
 * Magento 2 credit memos (`GET /rest/V1/creditmemos?searchCriteria…order_id`) → CanonicalRefund (R20).
 *
 * Magento has no webhooks: an order that was refunded is polled again (its `updated_at` moves) with
 * `total_refunded` above zero, and its credit memos are then read. Amounts are in the order's currency
 * (not the `base_` ones): an item's net is `row_total − discount_amount`, its VAT `tax_amount`; the
 * shipping refunded is `shipping_amount` + `shipping_tax_amount`; "Adjustment Refund" minus
 * "Adjustment Fee" is the amount refunded without lines. A configurable product's child item carries no
 * amounts and is passed over.
 */
import { requireCurrency } from "../../domain/currency";
import { moneyField, sumMinor } from "../../domain/money";
import { canonicalRefund, type CanonicalRefund, type RefundLine } from "../../domain/refund";
import { isObj, listedRefunds, type Obj, orderReader, text } from "../order-json";
import type { ShopAdapter } from "../types";

const read = orderReader("Magento");

export function magentoRefund(rawMemo: unknown, rawOrder: unknown): CanonicalRefund {
  const o = read.order(rawOrder);
  if (!isObj(rawMemo)) throw read.invalid("the credit memo is not an object");
  const m: Obj = rawMemo;
  const currency = requireCurrency(read.requiredText(m.order_currency_code ?? o.order_currency_code, "order_currency_code"));
  const money = moneyField(currency.decimals);
  const lines: RefundLine[] = [];
  for (const [i, item] of read.list(m.items, "creditmemo.items").entries()) {
    const at = `creditmemo.items[${i}]`;
    const net = money(item.row_total, `${at}.row_total`, 0) - money(item.discount_amount, `${at}.discount_amount`, 0);
    const vat = money(item.tax_amount, `${at}.tax_amount`, 0);
    if (net === 0 && vat === 0) continue; // a configurable's child, or an item not refunded
    lines.push({
      shopLineId: item.order_item_id != null ? String(item.order_item_id) : null,
      sku: text(item.sku),
      description: text(item.name) ?? "",
      quantity: Number(item.qty ?? 0) || 0,
      netAmount: net,
      vatAmount: vat,
    });
  }
  const shipping = { netAmount: money(m.shipping_amount, "creditmemo.shipping_amount", 0), vatAmount: money(m.shipping_tax_amount, "creditmemo.shipping_tax_amount", 0) };
  const amountGross = sumMinor([money(m.adjustment_positive, "creditmemo.adjustment_positive", 0), -money(m.adjustment_negative, "creditmemo.adjustment_negative", 0)]);
  return canonicalRefund({
    refundId: read.orderId(m.entity_id, "creditmemo.entity_id"),
    shopOrderId: read.orderId(o.entity_id, "entity_id"),
    createdAt: read.utcTime(m.created_at, "creditmemo.created_at"),
    currency: currency.code,
    lines,
    shipping,
    amountGross,
  });
}

/** Magento: a refunded order (`total_refunded` > 0) has its credit memos read from the shop. */
export const magentoRefundReading: Pick<ShopAdapter, "refunds"> = {
  async refunds(raw, _settings, _known, client) {
    const o = read.order(raw);
    if (!(Number(o.total_refunded ?? 0) > 0)) return [];
    return listedRefunds(client, read.orderId(o.entity_id, "entity_id"), (memo) => magentoRefund(memo, raw));
  },
};
