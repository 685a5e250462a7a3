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
import { TransferError } from "../../domain/errors";
import { fractionToBasisPoints, minorField, splitGross, sumMinor, unitAndDiscount } from "../../domain/money";
import type { CanonicalOrder, ChargeLine, Customer, OrderLine } from "../../domain/order";
import type { ShopAdapter } from "../types";

type Obj = Record<string, unknown>;

const invalid = (message: string) => new TransferError("invalid_order", `Shopify order: ${message}`);

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function list(v: unknown, field: string): Obj[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(`${field} is not a list`);
  return v.map((x, i) => {
    if (!isObj(x)) throw invalid(`${field}[${i}] is not an object`);
    return x;
  });
}

/** A non-empty trimmed string, else null. */
function text(v: unknown): string | null {
  if (typeof v === "number") return String(v);
  if (typeof v !== "string") return null;
  const t = v.trim();
  return t === "" ? null : t;
}

function time(v: unknown, field: string): string {
  if (typeof v !== "string" || v.trim() === "") throw invalid(`${field} is missing`);
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw invalid(`${field} is not a valid time: ${JSON.stringify(v)}`);
  return d.toISOString();
}

function quantity(v: unknown, field: string): number {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n)) throw invalid(`${field} is not a number: ${JSON.stringify(v)}`);
  if (n < 0) throw invalid(`${field} is negative: ${n}`);
  if (!Number.isInteger(n)) throw invalid(`${field} is not a whole number: ${n}`);
  return n;
}

function rate(v: unknown, field: string): number {
  if (v === undefined || v === null || v === "") return 0;
  try {
    return fractionToBasisPoints(v as number | string);
  } catch {
    throw invalid(`${field} is not a number: ${JSON.stringify(v)}`);
  }
}

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
  return text(a.name) ?? text([text(a.first_name), text(a.last_name)].filter(Boolean).join(" "));
}

function customerOf(o: Obj): Customer {
  const billing = isObj(o.billing_address) ? o.billing_address : null;
  const shipping = isObj(o.shipping_address) ? o.shipping_address : null;
  const cust = isObj(o.customer) ? o.customer : null;
  const address = billing ?? shipping;
  const street = address ? [text(address.address1), text(address.address2)].filter(Boolean).join(", ") : "";
  return {
    name: nameOf(billing) ?? nameOf(cust) ?? nameOf(shipping),
    email: text(o.email) ?? text(o.contact_email) ?? text(cust?.email),
    company: text(billing?.company) ?? text(shipping?.company),
    countryCode: (text(billing?.country_code) ?? text(shipping?.country_code))?.toUpperCase() ?? null,
    address: text(street),
    zip: text(address?.zip),
    city: text(address?.city),
  };
}

export function shopifyOrder(raw: unknown): CanonicalOrder {
  if (!isObj(raw)) throw invalid("the body is not an order object");
  const o = raw;
  if (o.id === undefined || o.id === null || o.id === "") throw invalid("id is missing");
  if (typeof o.id !== "number" && typeof o.id !== "string") throw invalid("id is not a number or string");
  const shopOrderId = String(o.id);
  const createdAt = time(o.created_at, "created_at");
  const updatedAt = o.updated_at == null ? createdAt : time(o.updated_at, "updated_at");
  const currency = text(o.currency);
  if (!currency) throw invalid("currency is missing");
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
  allowedStates(settings) {
    const s = settings.allowedFinancialStatuses;
    return Array.isArray(s) ? s.map(String) : ["paid", "partially_paid"];
  },
};
