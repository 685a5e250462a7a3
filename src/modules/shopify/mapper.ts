/**
 * Shopify REST-shaped order JSON (webhook body) → CanonicalOrder.
 *
 * Amounts are the shop-currency fields (`price`, `total_price`, …, equal to `*_set.shop_money`).
 * Shopify's `total_price` always includes tax (whatever `taxes_included` says), shipping, tips and is
 * after discounts; `total_tax` is the tax in it. So totals are gross = total_price, vat = total_tax,
 * net = gross − vat. With `taxes_included` a line's `price`, its `discount_allocations` and a shipping
 * line's `price` include VAT, and the line's `tax_lines` hold the VAT included in the discounted line
 * total: net = gross − discounts − tax.
 *
 * Currency (R24): by default the document is in the shop's currency (`currency`, the plain fields, equal
 * to `*_set.shop_money`); with `documentCurrency: "presentment"` in the currency the customer paid
 * (`presentment_currency`, every amount from `*_set.presentment_money`). Either way the order also carries
 * its total in the other currency (`otherTotal`) when it differs, so an exchange rate can be implied.
 */
import { requireCurrency } from "../../domain/currency";
import { divideRounded, fractionToBasisPoints, moneyField, type MoneyField, splitGross, sumMinor, unitAndDiscount } from "../../domain/money";
import type { CanonicalOrder, ChargeLine, Customer, OrderLine } from "../../domain/order";
import { identifyBy, isObj, joined, type Obj, orderReader, stateList, text } from "../order-json";
import type { ShopAdapter } from "../types";

const read = orderReader("Shopify");
const { order, orderId, requiredText, list, time, quantity } = read;

/** Shopify tax rates are fractions (0.25). */
const rate = (v: unknown, field: string) => read.rate(v, field, fractionToBasisPoints);

export type Bag = "shop_money" | "presentment_money";

/**
 * Reads money fields of one order in one of its two currencies. In the shop's currency the plain field
 * (`price`) is read, or its `price_set.shop_money` when only that is given; in the presentment currency
 * always `price_set.presentment_money` (the plain fields are shop money), unless both currencies are one.
 */
export function amounts(bag: Bag, money: MoneyField, singleCurrency: boolean) {
  return (o: Obj, key: string, path: string, fallback?: number): number => {
    const at = (k: string) => (path ? `${path}.${k}` : k);
    const set = o[`${key}_set`];
    const fromSet = isObj(set) && isObj(set[bag]) ? set[bag] : null;
    if (bag === "shop_money" || singleCurrency) {
      if ((o[key] === undefined || o[key] === null) && fromSet) return money(fromSet.amount, at(`${key}_set.${bag}.amount`), fallback);
      return money(o[key], at(key), fallback);
    }
    if (fromSet) return money(fromSet.amount, at(`${key}_set.${bag}.amount`), fallback);
    if (fallback !== undefined && (o[key] === undefined || o[key] === null || o[key] === "")) return fallback;
    throw read.invalid(`${at(`${key}_set.presentment_money`)} is missing, so the amount in the customer's currency is unknown`);
  };
}
type Amount = ReturnType<typeof amounts>;

/** Sum of a list's tax lines: amount and rate (rates add up, e.g. state + county tax). */
function taxes(amount: Amount, v: unknown, field: string): { vat: number; rate: number } {
  const lines = list(v, field);
  return {
    vat: sumMinor(lines.map((t, i) => amount(t, "price", `${field}[${i}]`, 0))),
    rate: sumMinor(lines.map((t, i) => rate(t.rate, `${field}[${i}].rate`))),
  };
}

function allocations(amount: Amount, v: unknown, field: string): number {
  return sumMinor(list(v, field).map((a, i) => amount(a, "amount", `${field}[${i}]`, 0)));
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

export function shopifyOrder(raw: unknown, settings: Record<string, unknown> = {}): CanonicalOrder {
  const o = order(raw);
  const shopOrderId = orderId(o.id, "id");
  const createdAt = time(o.created_at, "created_at");
  const updatedAt = o.updated_at == null ? createdAt : time(o.updated_at, "updated_at");
  const shopCurrency = requireCurrency(requiredText(o.currency, "currency"));
  const presentment = o.presentment_currency == null ? shopCurrency : requireCurrency(requiredText(o.presentment_currency, "presentment_currency"), "presentment currency");
  const single = presentment.code === shopCurrency.code;
  const bag: Bag = settings.documentCurrency === "presentment" ? "presentment_money" : "shop_money";
  const [doc, other] = bag === "presentment_money" ? [presentment, shopCurrency] : [shopCurrency, presentment];
  const amount = amounts(bag, moneyField(doc.decimals), single);
  const currency = doc.code;
  const taxesIncluded = o.taxes_included === true;

  const lines: OrderLine[] = list(o.line_items, "line_items").map((l, i) => {
    const f = `line_items[${i}]`;
    const qty = quantity(l.quantity, `${f}.quantity`);
    const price = amount(l, "price", f);
    const discount =
      l.discount_allocations !== undefined && l.discount_allocations !== null
        ? allocations(amount, l.discount_allocations, `${f}.discount_allocations`)
        : amount(l, "total_discount", f, 0);
    const tax = taxes(amount, l.tax_lines, `${f}.tax_lines`);
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
    const price = amount(s, "price", f);
    const discounted =
      (s.discounted_price !== undefined && s.discounted_price !== null) || isObj(s.discounted_price_set)
        ? amount(s, "discounted_price", f)
        : price - allocations(amount, s.discount_allocations, `${f}.discount_allocations`);
    const tax = taxes(amount, s.tax_lines, `${f}.tax_lines`);
    return {
      description: text(s.title) ?? text(s.code) ?? "Shipping",
      netAmount: taxesIncluded ? discounted - tax.vat : discounted,
      vatRate: tax.rate,
      vatAmount: tax.vat,
    };
  });

  const fees: ChargeLine[] = [];
  const gross = amount(o, "total_price", "");
  const vat = amount(o, "total_tax", "", 0);
  const otherBag: Bag = bag === "shop_money" ? "presentment_money" : "shop_money";
  const otherSet = isObj(o.total_price_set) && isObj(o.total_price_set[otherBag]) ? o.total_price_set[otherBag] : null;
  const otherGross = !single && otherSet ? moneyField(other.decimals)(otherSet.amount, `total_price_set.${otherBag}.amount`) : null;

  // Tips are part of total_price but no line: carry them as a fee without VAT. The REST order gives the
  // tip in shop money only; in the customer's currency it is converted at the order's own totals.
  const tipShop = moneyField(shopCurrency.decimals)(o.total_tip_received, "total_tip_received", 0);
  let tip: number;
  if (isObj(o.total_tip_received_set) || single || bag === "shop_money") tip = amount(o, "total_tip_received", "", 0);
  else if (tipShop === 0) tip = 0;
  else if (otherGross) tip = divideRounded(tipShop * gross, otherGross);
  else throw read.invalid("total_tip_received_set is missing, so the tip in the customer's currency is unknown");
  if (tip !== 0) fees.push({ description: "Tip", netAmount: tip, vatRate: 0, vatAmount: 0 });

  return {
    shopOrderId,
    orderNumber: text(o.name) ?? (o.order_number != null ? `#${o.order_number}` : shopOrderId),
    createdAt,
    updatedAt,
    state: text(o.financial_status) ?? "unknown",
    cancelled: o.cancelled_at != null,
    currency,
    ...(otherGross !== null ? { otherTotal: { currency: other.code, gross: otherGross } } : {}),
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
  toOrder: (raw, settings) => shopifyOrder(raw, settings),
  allowedStates: (settings) => stateList(settings, "allowedFinancialStatuses", ["paid", "partially_paid", "partially_refunded", "refunded"]),
  identify: identifyBy(["id"], ["name", "order_number"]),
};
