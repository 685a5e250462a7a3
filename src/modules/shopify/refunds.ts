/**
 * Shopify refunds (the order JSON's `refunds`, or a `refunds/create` body) → CanonicalRefund (R20).
 *
 * The refund is read in the order's document currency (R24): shop money by default, presentment money
 * with `documentCurrency: "presentment"`, exactly as the order's invoice. Lines come from
 * `refund_line_items` (quantity, `subtotal_set`, `total_tax_set`; with `taxes_included` the subtotal
 * holds the tax, so net = subtotal − tax), shipping from `refund_shipping_lines` (API 2024-10+:
 * `subtotal_amount_set`, `tax_amount_set`) or, in older versions, `order_adjustments` of kind
 * `shipping_refund`; what the successful refund transactions gave back beyond that is the line-less
 * amount (an amount-only refund, a refund discrepancy). Without transactions the other
 * `order_adjustments` (negative = given back) stand for it.
 */
import { requireCurrency } from "../../domain/currency";
import { moneyField, sumMinor } from "../../domain/money";
import { canonicalRefund, refundTotals, type CanonicalRefund, type RefundLine } from "../../domain/refund";
import { isObj, type Obj, orderReader, text } from "../order-json";
import type { ShopAdapter } from "../types";
import { amounts, type Bag } from "./mapper";

const read = orderReader("Shopify");

interface RefundContext {
  shopOrderId: string;
  currency: string;
  bag: Bag;
  single: boolean;
  decimals: number;
  taxesIncluded: boolean;
  /** The order's lines by Shopify id: their SKU and title, when the refund line does not repeat them. */
  lineById: Map<string, Obj>;
}

function contextOf(o: Obj, settings: Record<string, unknown>): RefundContext {
  const shopCurrency = requireCurrency(read.requiredText(o.currency, "currency"));
  const presentment = o.presentment_currency == null ? shopCurrency : requireCurrency(read.requiredText(o.presentment_currency, "presentment_currency"), "presentment currency");
  const bag: Bag = settings.documentCurrency === "presentment" ? "presentment_money" : "shop_money";
  const doc = bag === "presentment_money" ? presentment : shopCurrency;
  const lineById = new Map<string, Obj>();
  for (const l of read.list(o.line_items, "line_items")) if (l.id != null) lineById.set(String(l.id), l);
  return {
    shopOrderId: read.orderId(o.id, "id"),
    currency: doc.code,
    bag,
    single: presentment.code === shopCurrency.code,
    decimals: doc.decimals,
    taxesIncluded: o.taxes_included === true,
    lineById,
  };
}

/** Every refund of a Shopify order JSON (webhook or GraphQL-read order), in the order's document currency. */
export function shopifyRefunds(rawOrder: unknown, settings: Record<string, unknown> = {}): CanonicalRefund[] {
  const o = read.order(rawOrder);
  const ctx = contextOf(o, settings);
  return read.list(o.refunds, "refunds").map((r, i) => refundOf(r, ctx, `refunds[${i}]`));
}

/** A `refunds/create` body, read with its order (for the currency, the tax mode and the lines). */
export function shopifyRefund(rawRefund: unknown, rawOrder: unknown, settings: Record<string, unknown> = {}): CanonicalRefund {
  if (!isObj(rawRefund)) throw read.invalid("the body is not a refund object");
  const ctx = contextOf(read.order(rawOrder), settings);
  if (rawRefund.order_id != null && String(rawRefund.order_id) !== ctx.shopOrderId)
    throw read.invalid(`refund ${String(rawRefund.id)} belongs to order ${String(rawRefund.order_id)}, not ${ctx.shopOrderId}`);
  return refundOf(rawRefund, ctx, "refund");
}

function refundOf(r: Obj, ctx: RefundContext, f: string): CanonicalRefund {
  const amount = amounts(ctx.bag, moneyField(ctx.decimals), ctx.single);
  const refundId = read.orderId(r.id, `${f}.id`);
  const createdAt = read.time(r.processed_at ?? r.created_at, `${f}.created_at`);

  const lines: RefundLine[] = read.list(r.refund_line_items, `${f}.refund_line_items`).map((l, i) => {
    const at = `${f}.refund_line_items[${i}]`;
    const subtotal = amount(l, "subtotal", at);
    const vat = amount(l, "total_tax", at, 0);
    const id = l.line_item_id != null ? String(l.line_item_id) : null;
    const item = isObj(l.line_item) ? l.line_item : id ? ctx.lineById.get(id) : undefined;
    return {
      shopLineId: id,
      sku: text(item?.sku),
      description: text(item?.name) ?? text(item?.title) ?? "",
      quantity: read.quantity(l.quantity, `${at}.quantity`),
      netAmount: ctx.taxesIncluded ? subtotal - vat : subtotal,
      vatAmount: vat,
    };
  });

  let shipNet = 0;
  let shipVat = 0;
  for (const [i, s] of read.list(r.refund_shipping_lines, `${f}.refund_shipping_lines`).entries()) {
    const at = `${f}.refund_shipping_lines[${i}]`;
    const sub = amount(s, "subtotal_amount", at, 0);
    const vat = amount(s, "tax_amount", at, 0);
    shipNet += ctx.taxesIncluded ? sub - vat : sub;
    shipVat += vat;
  }
  // Before API 2024-10 shipping refunds were order adjustments (negative amounts = given back).
  const adjustments = read.list(r.order_adjustments, `${f}.order_adjustments`).map((a, i) => ({
    kind: text(a.kind),
    net: -amount(a, "amount", `${f}.order_adjustments[${i}]`, 0),
    vat: -amount(a, "tax_amount", `${f}.order_adjustments[${i}]`, 0),
  }));
  for (const a of adjustments.filter((a) => a.kind === "shipping_refund")) {
    shipNet += a.net;
    shipVat += a.vat;
  }
  const shipping = { netAmount: shipNet, vatAmount: shipVat };

  const itemized = refundTotals({ lines, shipping, amountGross: 0 }).gross;
  const paid = read
    .list(r.transactions, `${f}.transactions`)
    .filter((t) => text(t.kind) === "refund" && text(t.status) === "success")
    .map((t, i) => ({ t, i }));
  let amountGross: number;
  if (paid.length > 0) {
    // Transactions are in the currency they were paid in; in the document currency only when that matches.
    const txCurrency = text(paid[0].t.currency)?.toUpperCase();
    if (txCurrency && txCurrency !== ctx.currency) amountGross = sumMinor(adjustments.filter((a) => a.kind !== "shipping_refund").map((a) => a.net + a.vat));
    else amountGross = sumMinor(paid.map(({ t, i }) => moneyField(ctx.decimals)(t.amount, `${f}.transactions[${i}].amount`))) - itemized;
  } else {
    amountGross = sumMinor(adjustments.filter((a) => a.kind !== "shipping_refund").map((a) => a.net + a.vat));
  }
  return canonicalRefund({ refundId, shopOrderId: ctx.shopOrderId, createdAt, currency: ctx.currency, lines, shipping, amountGross });
}

/** How the core reads Shopify refunds: from the order JSON, and `refunds/create` bodies with their order. */
export const shopifyRefundReading: Pick<ShopAdapter, "refunds" | "refundOf" | "refundOrderId"> = {
  refunds: async (raw, settings) => shopifyRefunds(raw, settings),
  refundOf: shopifyRefund,
  refundOrderId: (raw) => (isObj(raw) && raw.order_id != null && typeof raw.order_id !== "object" ? String(raw.order_id) : null),
};
