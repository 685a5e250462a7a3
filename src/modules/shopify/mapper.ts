/**
 * Shopify REST-shaped order JSON (webhook body) → CanonicalOrder.
 *
 * Amounts are the shop-currency fields (`price`, `total_price`, …, equal to `*_set.shop_money`).
 * Shopify's `total_price` always includes tax (whatever `taxes_included` says), shipping, tips and is
 * after discounts; `total_tax` is the tax in it. So totals are gross = total_price, vat = total_tax,
 * net = gross − vat. With `taxes_included` a line's `price`, its `discount_allocations` and a shipping
 * line's `price` include VAT, and the line's `tax_lines` hold the VAT included in the discounted line
 * total: net = gross − discounts − tax.
 */
import { fractionToBasisPoints, minorField, splitGross, sumMinor, unitAndDiscount } from "../../domain/money";
import type { CanonicalOrder, ChargeLine, Customer, OrderLine } from "../../domain/order";
import { isObj, joined, type Obj, orderReader, stateList, text } from "../order-json";
import type { ShopAdapter } from "../types";

const read = orderReader("Shopify");
const { order, orderId, requiredText, list, time, quantity } = read;

/** Shopify tax rates are fractions (0.25). */
const rate = (v: unknown, field: string) => read.rate(v, field, fractionToBasisPoints);

/** Sum of a list's tax lines: amount and rate (rates add up, e.g. state + county tax). */
function taxes(v: unknown, field: string): { vat: number; rate: number } {
  const lines = list(v, field);
  return {
    vat: sumMinor(lines.map((t, i) => minorField(t.price, `${field}[${i}].price`, 0))),
    rate: sumMinor(lines.map((t, i) => rate(t.rate, `${field}[${i}].rate`))),
  };
}

function allocations(v: unknown, field: string): number {
  return sumMinor(list(v, field).map((a, i) => minorField(a.amount, `${field}[${i}].amount`, 0)));
}

function nameOf(a: Obj | null): string | null {
  if (!a) return null;
  return text(a.name) ?? joined([a.first_name, a.last_name], " ");
}

function customerOf(o: Obj): Customer {
  const billing = isObj(o.billing_address) ? o.billing_address : null;
  const shipping = isObj(o.shipping_address) ? o.shipping_address : null;
  const cust = isObj(o.customer) ? o.customer : null;
  const address = billing ?? shipping;
  return {
    name: nameOf(billing) ?? nameOf(cust) ?? nameOf(shipping),
    email: text(o.email) ?? text(o.contact_email) ?? text(cust?.email),
    company: text(billing?.company) ?? text(shipping?.company),
    countryCode: (text(billing?.country_code) ?? text(shipping?.country_code))?.toUpperCase() ?? null,
    address: address ? joined([address.address1, address.address2], ", ") : null,
    zip: text(address?.zip),
    city: text(address?.city),
  };
}

export function shopifyOrder(raw: unknown): CanonicalOrder {
  const o = order(raw);
  const shopOrderId = orderId(o.id, "id");
  const createdAt = time(o.created_at, "created_at");
  const updatedAt = o.updated_at == null ? createdAt : time(o.updated_at, "updated_at");
  const currency = requiredText(o.currency, "currency");
  const taxesIncluded = o.taxes_included === true;

  const lines: OrderLine[] = list(o.line_items, "line_items").map((l, i) => {
    const f = `line_items[${i}]`;
    const qty = quantity(l.quantity, `${f}.quantity`);
    const price = minorField(l.price, `${f}.price`);
    const discount =
      l.discount_allocations !== undefined && l.discount_allocations !== null
        ? allocations(l.discount_allocations, `${f}.discount_allocations`)
        : minorField(l.total_discount, `${f}.total_discount`, 0);
    const tax = taxes(l.tax_lines, `${f}.tax_lines`);
    const gross = qty * price;
    let netTotal: number;
    let netBeforeDiscount: number;
    if (taxesIncluded) {
      netTotal = gross - discount - tax.vat;
      // The discount was given on VAT-inclusive prices: its net part is what the net price loses.
      netBeforeDiscount = netTotal + (discount === 0 ? 0 : splitGross(discount, tax.rate).net);
    } else {
      netBeforeDiscount = gross;
      netTotal = gross - discount;
    }
    const { unitPriceNet, discountNet } = unitAndDiscount(qty, netBeforeDiscount, netTotal);
    return {
      sku: text(l.sku),
      description: text(l.name) ?? text(l.title) ?? "",
      quantity: qty,
      unitPriceNet,
      discountNet,
      netTotal,
      vatRate: tax.rate,
      vatAmount: tax.vat,
    };
  });

  const shipping: ChargeLine[] = list(o.shipping_lines, "shipping_lines").map((s, i) => {
    const f = `shipping_lines[${i}]`;
    const price = minorField(s.price, `${f}.price`);
    const discounted =
      s.discounted_price !== undefined && s.discounted_price !== null
        ? minorField(s.discounted_price, `${f}.discounted_price`)
        : price - allocations(s.discount_allocations, `${f}.discount_allocations`);
    const tax = taxes(s.tax_lines, `${f}.tax_lines`);
    return {
      description: text(s.title) ?? text(s.code) ?? "Shipping",
      netAmount: taxesIncluded ? discounted - tax.vat : discounted,
      vatRate: tax.rate,
      vatAmount: tax.vat,
    };
  });

  // Tips are part of total_price but no line: carry them as a fee without VAT.
  const fees: ChargeLine[] = [];
  const tip = minorField(o.total_tip_received, "total_tip_received", 0);
  if (tip !== 0) fees.push({ description: "Tip", netAmount: tip, vatRate: 0, vatAmount: 0 });

  const gross = minorField(o.total_price, "total_price");
  const vat = minorField(o.total_tax, "total_tax", 0);

  return {
    shopOrderId,
    orderNumber: text(o.name) ?? (o.order_number != null ? `#${o.order_number}` : shopOrderId),
    createdAt,
    updatedAt,
    state: text(o.financial_status) ?? "unknown",
    cancelled: o.cancelled_at != null,
    currency: currency.toUpperCase(),
    pricesIncludeVat: taxesIncluded,
    customer: customerOf(o),
    lines,
    shipping,
    fees,
    totals: { net: gross - vat, vat, gross },
    note: text(o.note),
  };
}

export const shopifyAdapter: ShopAdapter = {
  toOrder: shopifyOrder,
  allowedStates: (settings) => stateList(settings, "allowedFinancialStatuses", ["paid", "partially_paid"]),
};
