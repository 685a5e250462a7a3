/**
 * Magento 2 REST order JSON (`GET /V1/orders/:id`, or one of `GET /V1/orders` items) → CanonicalOrder.
 *
 * Items: Magento lists composite products as a parent item plus child items (`parent_item_id`).
 * - Configurable: the parent carries price, tax and discount; the child (the simple product actually
 *   sold) carries price 0. One line: the parent's amounts with the child's SKU (the parent's `sku` is
 *   normally already the child's, but the child's wins when present).
 * - Bundle: with dynamic pricing (the fixture's "Sprite Yoga Companion Kit": parent 68 = children
 *   27 + 5 + 17 + 19, grand_total counts it once) the children carry their own prices, tax and discount,
 *   and the parent's amounts are their sum; with fixed pricing the parent carries the price and the
 *   children are 0. So: when any child has a non-zero amount, one line per child (their own SKUs; the
 *   parent's composite SKU is not a product number) and the parent is left out; otherwise the parent
 *   alone. Either way every amount is counted exactly once.
 * Amounts: `price` and `row_total` exclude tax; `discount_amount` may include tax when discounts apply to
 * prices including tax, and its tax part is `discount_tax_compensation_amount`, so
 * line net = row_total − discount_amount + discount_tax_compensation_amount, VAT = tax_amount.
 * Times ("YYYY-MM-DD HH:MM:SS") are UTC.
 *
 * Currency (R24): by default the document is in the store's base currency (`base_currency_code`, the
 * `base_*` amounts); with `documentCurrency: "presentment"` in the order currency the customer paid
 * (`order_currency_code`, the plain amounts). The other currency's grand total is kept as `otherTotal`.
 */
import { requireCurrency } from "../../domain/currency";
import {
  impliedRate,
  moneyField,
  type MoneyField,
  parseMinor,
  parseQuantity,
  percentToBasisPoints,
  unitAndDiscount,
  vatOfNet,
} from "../../domain/money";
import type { CanonicalOrder, ChargeLine, Customer, OrderLine } from "../../domain/order";
import { identifyBy, isObj, joined, type Obj, optional, orderReader, stateList, text } from "../order-json";
import type { ShopAdapter } from "../types";

const read = orderReader("Magento");
/** Magento times are "YYYY-MM-DD HH:MM:SS" in UTC. */
const { order, orderId, requiredText, list, utcTime } = read;

/** Magento quantities are decimals ("1.0000"). */
const quantity = (v: unknown, field: string) => read.quantity(v, field, (x) => parseQuantity(x as string | number));

/** Magento tax rates are percentages (25, "25.0000"). */
const rate = (v: unknown, field: string) => read.rate(v, field, percentToBasisPoints);

/** Base-currency names that are not `base_` + the order-currency name (Magento shortens this one). */
const BASE_NAMES: Record<string, string> = { shipping_discount_tax_compensation_amount: "base_shipping_discount_tax_compensation_amnt" };

/**
 * Reads an amount of an order or item in the document currency: `base_<key>` in the base currency,
 * `<key>` in the order currency. Where base and order currency are one, either field serves.
 */
function amounts(base: boolean, money: MoneyField, singleCurrency: boolean) {
  return (o: Obj, key: string, path: string, fallback?: number): number => {
    const at = (k: string) => (path ? `${path}.${k}` : k);
    const baseKey = BASE_NAMES[key] ?? `base_${key}`;
    const present = (k: string) => o[k] !== undefined && o[k] !== null && o[k] !== "";
    const [first, second] = base ? [baseKey, key] : [key, baseKey];
    if (present(first)) return money(o[first], at(first), fallback);
    if (singleCurrency && present(second)) return money(o[second], at(second), fallback);
    if (fallback !== undefined) return fallback;
    return money(o[first], at(first));
  };
}
type Amount = ReturnType<typeof amounts>;

function itemLine(amount: Amount, item: Obj, f: string, sku: string | null): OrderLine {
  const qty = quantity(item.qty_ordered, `${f}.qty_ordered`);
  const price = amount(item, "price", f);
  const rowTotal = amount(item, "row_total", f, qty * price);
  const discount =
    Math.abs(amount(item, "discount_amount", f, 0)) - amount(item, "discount_tax_compensation_amount", f, 0);
  const netTotal = rowTotal - discount;
  const { unitPriceNet, discountNet } = unitAndDiscount(qty, rowTotal, netTotal);
  return {
    sku,
    description: text(item.name) ?? "",
    quantity: qty,
    unitPriceNet,
    discountNet,
    netTotal,
    vatRate: rate(item.tax_percent, `${f}.tax_percent`),
    vatAmount: amount(item, "tax_amount", f, 0),
  };
}

function hasAmount(item: Obj): boolean {
  return [item.price, item.row_total, item.base_price].some((v) => {
    if (v === undefined || v === null || v === "") return false;
    try {
      return parseMinor(v as string | number, 4) !== 0;
    } catch {
      return true; // unreadable: let itemLine name the field
    }
  });
}

function linesOf(amount: Amount, o: Obj): OrderLine[] {
  const items = list(o.items, "items").map((item, i) => ({ item, f: `items[${i}]` }));
  const ids = new Set(items.map(({ item }) => text(item.item_id)).filter((x): x is string => x !== null));
  const parentOf = (item: Obj) => {
    const p = text(item.parent_item_id);
    return p !== null && ids.has(p) ? p : null;
  };
  const children = new Map<string, typeof items>();
  for (const x of items) {
    const p = parentOf(x.item);
    if (p !== null) children.set(p, [...(children.get(p) ?? []), x]);
  }
  const lines: OrderLine[] = [];
  for (const { item, f } of items) {
    if (parentOf(item) !== null) continue; // children are handled with their parent
    const kids = children.get(text(item.item_id) ?? "") ?? [];
    if (kids.length === 0) {
      lines.push(itemLine(amount, item, f, text(item.sku)));
    } else if (item.product_type === "bundle" && kids.some((k) => hasAmount(k.item))) {
      for (const k of kids) lines.push(itemLine(amount, k.item, k.f, text(k.item.sku)));
    } else if (item.product_type === "bundle") {
      lines.push(itemLine(amount, item, f, text(item.sku)));
    } else {
      // configurable (or another parent with one sold child): parent's amounts, child's SKU
      const childSku = kids.length === 1 ? text(kids[0].item.sku) : null;
      lines.push(itemLine(amount, item, f, childSku ?? text(item.sku)));
    }
  }
  return lines;
}

function customerOf(o: Obj): Customer {
  const b = isObj(o.billing_address) ? o.billing_address : {};
  const ext = isObj(o.extension_attributes) ? o.extension_attributes : {};
  const assignment = Array.isArray(ext.shipping_assignments) ? ext.shipping_assignments[0] : undefined;
  const shipAddr: Obj =
    isObj(assignment) && isObj(assignment.shipping) && isObj(assignment.shipping.address) ? assignment.shipping.address : {};
  const street = Array.isArray(b.street) ? joined(b.street, ", ") : text(b.street);
  return {
    name:
      joined([o.customer_firstname, o.customer_lastname], " ") ??
      joined([b.firstname, b.lastname], " ") ??
      joined([shipAddr.firstname, shipAddr.lastname], " "),
    email: text(o.customer_email) ?? text(b.email),
    company: text(b.company),
    // The VAT number Magento keeps on the address (vat_id) or the customer (taxvat).
    ...optional("vatNumber", text(b.vat_id) ?? text(o.customer_taxvat)),
    countryCode: (text(b.country_id) ?? text(shipAddr.country_id))?.toUpperCase() ?? null,
    address: street,
    zip: text(b.postcode),
    city: text(b.city),
  };
}

function shippingOf(amount: Amount, o: Obj, lines: OrderLine[]): ChargeLine[] {
  if ((o.shipping_amount === undefined || o.shipping_amount === null) && (o.base_shipping_amount === undefined || o.base_shipping_amount === null)) return [];
  const charged = amount(o, "shipping_amount", "");
  const description = text(o.shipping_description);
  if (charged === 0 && description === null) return [];
  const net =
    charged -
    Math.abs(amount(o, "shipping_discount_amount", "", 0)) +
    amount(o, "shipping_discount_tax_compensation_amount", "", 0);
  const vat = amount(o, "shipping_tax_amount", "", 0);
  // Magento gives no shipping tax percent: take an item rate that explains the amount, else derive it.
  const known = lines.map((l) => l.vatRate).find((r) => r !== 0 && Math.abs(vatOfNet(net, r) - vat) <= 1);
  const vatRate = vat === 0 ? 0 : (known ?? impliedRate(net, vat));
  return [{ description: description ?? "Shipping", netAmount: net, vatRate, vatAmount: vat }];
}

export function magentoOrder(raw: unknown, settings: Record<string, unknown> = {}): CanonicalOrder {
  const o = order(raw);
  const shopOrderId = orderId(o.entity_id, "entity_id");
  const createdAt = utcTime(o.created_at, "created_at");
  const updatedAt = o.updated_at == null ? createdAt : utcTime(o.updated_at, "updated_at");
  const orderCurrency = requireCurrency(requiredText(o.order_currency_code, "order_currency_code"), "order currency");
  const baseCurrency = o.base_currency_code == null ? orderCurrency : requireCurrency(requiredText(o.base_currency_code, "base_currency_code"), "base currency");
  const single = baseCurrency.code === orderCurrency.code;
  const base = settings.documentCurrency !== "presentment";
  const [doc, other] = base ? [baseCurrency, orderCurrency] : [orderCurrency, baseCurrency];
  const amount = amounts(base, moneyField(doc.decimals), single);
  const lines = linesOf(amount, o);
  const gross = amount(o, "grand_total", "");
  const vat = amount(o, "tax_amount", "", 0);
  const otherKey = base ? "grand_total" : "base_grand_total";
  const otherTotal = single || o[otherKey] == null ? undefined : { currency: other.code, gross: moneyField(other.decimals)(o[otherKey], otherKey) };
  const status = text(o.status) ?? text(o.state) ?? "unknown";
  return {
    shopOrderId,
    orderNumber: text(o.increment_id) ?? shopOrderId,
    createdAt,
    updatedAt,
    state: status,
    cancelled: o.state === "canceled" || status === "canceled",
    currency: doc.code,
    ...(otherTotal ? { otherTotal } : {}),
    // Magento's item amounts are given excluding tax (price) and including it (price_incl_tax);
    // whether the catalog was entered with tax is store config, not in the order.
    pricesIncludeVat: false,
    customer: customerOf(o),
    lines,
    shipping: shippingOf(amount, o, lines),
    fees: [],
    totals: { net: gross - vat, vat, gross },
    note: text(o.customer_note),
  };
}

export const magentoAdapter: ShopAdapter = {
  toOrder: (raw, settings) => magentoOrder(raw, settings),
  allowedStates: (settings) => stateList(settings, "allowedStatuses", ["processing", "complete"]),
  identify: identifyBy(["entity_id"], ["increment_id"]),
};
