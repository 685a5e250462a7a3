/**
 * WooCommerce REST v3 order JSON (also the `order.created`/`order.updated` webhook body) → CanonicalOrder.
 *
 * WooCommerce stores line amounts excluding tax whatever `prices_include_tax` says: `subtotal` is the
 * line's net before discounts, `total` its net after discounts, `total_tax` its tax after discounts.
 * So unit price net = subtotal / quantity, discount net = subtotal − total, line net = total.
 * A line's VAT rate is the sum of the rates of its `taxes[]` entries with a non-zero amount; a rate id's
 * percentage comes from the order's `tax_lines[].rate_percent` (WooCommerce ≥ 3.7), otherwise it is
 * derived from the order's amounts taxed at that rate id.
 */
import { TransferError } from "../../domain/errors";
import { impliedRate, minorField, percentToBasisPoints, sumMinor, unitAndDiscount } from "../../domain/money";
import type { CanonicalOrder, ChargeLine, Customer, OrderLine } from "../../domain/order";
import type { ShopAdapter } from "../types";

type Obj = Record<string, unknown>;

const invalid = (message: string) => new TransferError("invalid_order", `WooCommerce order: ${message}`);

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

function text(v: unknown): string | null {
  if (typeof v === "number") return String(v);
  if (typeof v !== "string") return null;
  const t = v.trim();
  return t === "" ? null : t;
}

/** WooCommerce's `*_gmt` times have no zone designator: they are UTC. */
function gmtTime(v: unknown, field: string): string {
  if (typeof v !== "string" || v.trim() === "") throw invalid(`${field} is missing`);
  const s = v.trim();
  const d = new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(s) ? s : `${s.replace(" ", "T")}Z`);
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

interface TaxEntry {
  id: string;
  amount: number;
}

/** A line's `taxes[]` entries with a non-zero amount. */
function taxEntries(v: unknown, field: string): TaxEntry[] {
  return list(v, field)
    .map((t, i) => ({ id: String(t.id), amount: minorField(t.total, `${field}[${i}].total`, 0) }))
    .filter((t) => t.amount !== 0);
}

function customerOf(o: Obj): Customer {
  const b = isObj(o.billing) ? o.billing : {};
  const s = isObj(o.shipping) ? o.shipping : {};
  const name = [text(b.first_name), text(b.last_name)].filter(Boolean).join(" ");
  const street = [text(b.address_1), text(b.address_2)].filter(Boolean).join(", ");
  return {
    name: text(name) ?? text([text(s.first_name), text(s.last_name)].filter(Boolean).join(" ")),
    email: text(b.email),
    company: text(b.company) ?? text(s.company),
    countryCode: (text(b.country) ?? text(s.country))?.toUpperCase() ?? null,
    address: text(street),
    zip: text(b.postcode),
    city: text(b.city),
  };
}

export function woocommerceOrder(raw: unknown): CanonicalOrder {
  if (!isObj(raw)) throw invalid("the body is not an order object");
  const o = raw;
  if (o.id === undefined || o.id === null || o.id === "") throw invalid("id is missing");
  if (typeof o.id !== "number" && typeof o.id !== "string") throw invalid("id is not a number or string");
  const shopOrderId = String(o.id);
  const createdAt = gmtTime(o.date_created_gmt, "date_created_gmt");
  const updatedAt = o.date_modified_gmt == null ? createdAt : gmtTime(o.date_modified_gmt, "date_modified_gmt");
  const currency = text(o.currency);
  if (!currency) throw invalid("currency is missing");

  // Read every taxable part first: its net amount and its tax entries.
  type Part = { net: number; vat: number; taxes: TaxEntry[] };
  const itemParts = list(o.line_items, "line_items").map((l, i) => {
    const f = `line_items[${i}]`;
    const qty = quantity(l.quantity, `${f}.quantity`);
    const total = minorField(l.total, `${f}.total`);
    const subtotal = minorField(l.subtotal, `${f}.subtotal`, total);
    return {
      l,
      qty,
      subtotal,
      part: { net: total, vat: minorField(l.total_tax, `${f}.total_tax`, 0), taxes: taxEntries(l.taxes, `${f}.taxes`) } as Part,
    };
  });
  const charge = (c: Obj, f: string): Part => ({
    net: minorField(c.total, `${f}.total`),
    vat: minorField(c.total_tax, `${f}.total_tax`, 0),
    taxes: taxEntries(c.taxes, `${f}.taxes`),
  });
  const shippingRaw = list(o.shipping_lines, "shipping_lines").map((s, i) => ({ s, part: charge(s, `shipping_lines[${i}]`) }));
  const feeRaw = list(o.fee_lines, "fee_lines").map((s, i) => ({ s, part: charge(s, `fee_lines[${i}]`) }));
  const parts = [...itemParts.map((x) => x.part), ...shippingRaw.map((x) => x.part), ...feeRaw.map((x) => x.part)];

  // Rate id → basis points.
  const rates = new Map<string, number>();
  list(o.tax_lines, "tax_lines").forEach((t, i) => {
    const id = String(t.rate_id);
    if (t.rate_percent === undefined || t.rate_percent === null || t.rate_percent === "") return;
    try {
      rates.set(id, percentToBasisPoints(t.rate_percent as string | number));
    } catch {
      throw invalid(`tax_lines[${i}].rate_percent is not a number: ${JSON.stringify(t.rate_percent)}`);
    }
  });
  const rateOf = (id: string): number => {
    const known = rates.get(id);
    if (known !== undefined) return known;
    let base = 0;
    let tax = 0;
    for (const p of parts)
      for (const t of p.taxes)
        if (t.id === id) {
          base += p.net;
          tax += t.amount;
        }
    const derived = impliedRate(base, tax);
    rates.set(id, derived);
    return derived;
  };
  const rateOfPart = (p: Part) => sumMinor(p.taxes.map((t) => rateOf(t.id)));

  const lines: OrderLine[] = itemParts.map(({ l, qty, subtotal, part }) => {
    const { unitPriceNet, discountNet } = unitAndDiscount(qty, subtotal, part.net);
    return {
      sku: text(l.sku),
      description: text(l.name) ?? "",
      quantity: qty,
      unitPriceNet,
      discountNet,
      netTotal: part.net,
      vatRate: rateOfPart(part),
      vatAmount: part.vat,
    };
  });
  const toCharge = (c: Obj, p: Part, fallback: string): ChargeLine => ({
    description: text(c.method_title) ?? text(c.name) ?? fallback,
    netAmount: p.net,
    vatRate: rateOfPart(p),
    vatAmount: p.vat,
  });

  const gross = minorField(o.total, "total");
  const vat = minorField(o.total_tax, "total_tax", 0);
  const status = text(o.status) ?? "unknown";

  return {
    shopOrderId,
    orderNumber: text(o.number) ?? shopOrderId,
    createdAt,
    updatedAt,
    state: status,
    cancelled: status === "cancelled",
    currency: currency.toUpperCase(),
    pricesIncludeVat: o.prices_include_tax === true,
    customer: customerOf(o),
    lines,
    shipping: shippingRaw.map(({ s, part }) => toCharge(s, part, "Shipping")),
    fees: feeRaw.map(({ s, part }) => toCharge(s, part, "Fee")),
    totals: { net: gross - vat, vat, gross },
    note: text(o.customer_note),
  };
}

export const woocommerceAdapter: ShopAdapter = {
  toOrder: woocommerceOrder,
  allowedStates(settings) {
    const s = settings.allowedStatuses;
    return Array.isArray(s) ? s.map(String) : ["processing", "completed"];
  },
};
