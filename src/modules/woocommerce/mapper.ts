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
import { requireCurrency } from "../../domain/currency";
import { impliedRate, moneyField, type MoneyField, percentToBasisPoints, sumMinor, unitAndDiscount } from "../../domain/money";
import type { CanonicalOrder, ChargeLine, Customer, OrderLine } from "../../domain/order";
import { identifyBy, isObj, joined, type Obj, optional, orderReader, stateList, text } from "../order-json";
import type { ShopAdapter } from "../types";

/** WooCommerce's `*_gmt` times have no zone designator: they are UTC. */
const { order, orderId, requiredText, list, utcTime: gmtTime, quantity, rate } = orderReader("WooCommerce");

interface TaxEntry {
  id: string;
  amount: number;
}

/** A line's `taxes[]` entries with a non-zero amount. */
function taxEntries(money: MoneyField, v: unknown, field: string): TaxEntry[] {
  return list(v, field)
    .map((t, i) => ({ id: String(t.id), amount: money(t.total, `${field}[${i}].total`, 0) }))
    .filter((t) => t.amount !== 0);
}

/**
 * WooCommerce has no VAT number field of its own; the EU VAT plugins keep it in the order's meta data
 * (`_billing_vat_number`, `_vat_number`, `vat_number`, `_billing_eu_vat_number`, …).
 */
function vatNumberOf(o: Obj): string | null {
  const meta = Array.isArray(o.meta_data) ? o.meta_data : [];
  for (const m of meta) if (isObj(m) && /^_?(billing_)?(eu_)?vat_?(number|id)$/i.test(String(m.key)) && text(m.value)) return text(m.value);
  return null;
}

function customerOf(o: Obj): Customer {
  const b = isObj(o.billing) ? o.billing : {};
  const s = isObj(o.shipping) ? o.shipping : {};
  return {
    name: joined([b.first_name, b.last_name], " ") ?? joined([s.first_name, s.last_name], " "),
    email: text(b.email),
    company: text(b.company) ?? text(s.company),
    ...optional("vatNumber", vatNumberOf(o)),
    countryCode: (text(b.country) ?? text(s.country))?.toUpperCase() ?? null,
    address: joined([b.address_1, b.address_2], ", "),
    zip: text(b.postcode),
    city: text(b.city),
  };
}

export function woocommerceOrder(raw: unknown): CanonicalOrder {
  const o = order(raw);
  const shopOrderId = orderId(o.id, "id");
  const createdAt = gmtTime(o.date_created_gmt, "date_created_gmt");
  const updatedAt = o.date_modified_gmt == null ? createdAt : gmtTime(o.date_modified_gmt, "date_modified_gmt");
  // Amounts are in the order's currency, read with its own decimals.
  const { code: currency, decimals } = requireCurrency(requiredText(o.currency, "currency"));
  const money = moneyField(decimals);

  // Read every taxable part first: its net amount and its tax entries.
  type Part = { net: number; vat: number; taxes: TaxEntry[] };
  const itemParts = list(o.line_items, "line_items").map((l, i) => {
    const f = `line_items[${i}]`;
    const qty = quantity(l.quantity, `${f}.quantity`);
    const total = money(l.total, `${f}.total`);
    const subtotal = money(l.subtotal, `${f}.subtotal`, total);
    return {
      l,
      qty,
      subtotal,
      part: { net: total, vat: money(l.total_tax, `${f}.total_tax`, 0), taxes: taxEntries(money, l.taxes, `${f}.taxes`) } as Part,
    };
  });
  const charge = (c: Obj, f: string): Part => ({
    net: money(c.total, `${f}.total`),
    vat: money(c.total_tax, `${f}.total_tax`, 0),
    taxes: taxEntries(money, c.taxes, `${f}.taxes`),
  });
  const shippingRaw = list(o.shipping_lines, "shipping_lines").map((s, i) => ({ s, part: charge(s, `shipping_lines[${i}]`) }));
  const feeRaw = list(o.fee_lines, "fee_lines").map((s, i) => ({ s, part: charge(s, `fee_lines[${i}]`) }));
  const parts = [...itemParts.map((x) => x.part), ...shippingRaw.map((x) => x.part), ...feeRaw.map((x) => x.part)];

  // Rate id → basis points.
  const rates = new Map<string, number>();
  list(o.tax_lines, "tax_lines").forEach((t, i) => {
    const id = String(t.rate_id);
    if (t.rate_percent === undefined || t.rate_percent === null || t.rate_percent === "") return;
    rates.set(id, rate(t.rate_percent, `tax_lines[${i}].rate_percent`, percentToBasisPoints));
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

  const gross = money(o.total, "total");
  const vat = money(o.total_tax, "total_tax", 0);
  const status = text(o.status) ?? "unknown";

  return {
    shopOrderId,
    orderNumber: text(o.number) ?? shopOrderId,
    createdAt,
    updatedAt,
    state: status,
    cancelled: status === "cancelled",
    currency,
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
  toOrder: (raw) => woocommerceOrder(raw),
  allowedStates: (settings) => stateList(settings, "allowedStatuses", ["processing", "completed", "refunded"]),
  identify: identifyBy(["id"], ["number"]),
};
