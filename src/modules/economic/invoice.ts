/**
 * CanonicalOrder → the body of POST /invoices/drafts (e-conomic/slate `_invoices.md`). Pure.
 *
 * Every line's net total equals the order's exactly. e-conomic takes `unitNetPrice` with at most two
 * decimals (error E04740) and computes a line as quantity × unitNetPrice × (1 − discountPercentage/100),
 * so a line is written in the first of these forms that is exact without any rounding by e-conomic:
 * 1. no discount: the unit price;
 * 2. the discount is a percentage with at most two decimals of quantity × unit price (20 %, 12.5 %):
 *    the unit price and `discountPercentage`, so the invoice shows the shop's discount;
 * 3. the discounted net divides by the quantity: that as the unit price;
 * 4. otherwise two lines of the same product, (quantity − r) at ⌊net/quantity⌋ and r at one minor unit
 *    more, where r = net mod quantity.
 * Amounts are written with the document currency's own decimals (JPY 1224, EUR 12.24). A currency with
 * more decimals than e-conomic's two (KWD) is written in steps of what e-conomic holds (10 fils); what
 * cannot be held goes on the rounding line within the threshold, else the order is totals_mismatch.
 * When the document currency is not the agreement's base currency and the shop gave the order's total
 * in the base currency too, `exchangeRate` is the rate that total implies (base amount of 100 units).
 */
import { chargedShipping, documentTotals, orderDate, type DocumentTotals } from "../../domain/checks";
import { decimalsOf } from "../../domain/currency";
import { divideRounded, formatMinor, sumMinor } from "../../domain/money";
import type { CanonicalOrder, OrderLine } from "../../domain/order";
import type { VatTreatment } from "../../domain/vat";
import type { EconomicSettings } from "./settings";

/** A document line in minor units, before it is written as e-conomic decimals. */
export interface DocumentLine {
  productNumber: string;
  description: string;
  quantity: number;
  unitNetPrice: number;
  /** Basis points of quantity × unitNetPrice (form 2 only). */
  discountBp?: number;
  /** The line's exact net amount. */
  net: number;
}

export interface EconomicDraftLine {
  lineNumber: number;
  sortKey: number;
  product: { productNumber: string };
  description: string;
  quantity: number;
  unitNetPrice: number;
  discountPercentage?: number;
}

/** e-conomic holds prices and amounts with at most two decimals (error E04740). */
export const ECONOMIC_DECIMALS = 2;

export interface EconomicDraftInvoice {
  draftInvoiceNumber?: number;
  currency: string;
  /** The base-currency amount of 100 units of `currency`; left out for e-conomic's daily rate. */
  exchangeRate?: number;
  customer: { customerNumber: number };
  date: string;
  layout: { layoutNumber: number };
  paymentTerms: { paymentTermsNumber: number };
  recipient: {
    name: string;
    address?: string;
    zip?: string;
    city?: string;
    country?: string;
    vatZone: { vatZoneNumber: number };
  };
  references: { other: string };
  notes: { heading: string };
  lines: EconomicDraftLine[];
}

/** e-conomic's length limits (schema "Max length"). */
const MAX = { reference: 250, heading: 250, description: 2500, name: 250, address: 250, city: 250, zip: 50, country: 50 };

/** Our reference as stored in `references.other` (and looked up by findDocument). */
export const referenceText = (reference: string) => reference.slice(0, MAX.reference);

/** The invoice heading: "Order #1001" (Shopify names already carry the #). */
export const orderHeading = (orderNumber: string) => (orderNumber.startsWith("#") ? `Order ${orderNumber}` : `Order #${orderNumber}`);

/**
 * One order line as one or two exact document lines (see the file comment). `step` is the smallest amount
 * the system holds, in the currency's minor units (1; 10 for KWD in e-conomic): the line is built in
 * steps, and its net differs from the order's by less than one step only when the order's is finer.
 */
export function exactLines(line: OrderLine, productNumber: string, step = 1): DocumentLine[] {
  if (step > 1) {
    const inSteps = exactLines(
      {
        ...line,
        unitPriceNet: divideRounded(line.unitPriceNet, step),
        discountNet: line.quantity * divideRounded(line.unitPriceNet, step) - divideRounded(line.netTotal, step),
        netTotal: divideRounded(line.netTotal, step),
      },
      productNumber,
    );
    return inSteps.map((l) => ({ ...l, unitNetPrice: l.unitNetPrice * step, net: l.net * step }));
  }
  const { quantity: q, unitPriceNet: p, discountNet: d, netTotal: net } = line;
  const base = { productNumber, description: line.description };
  if (q <= 0) return net === 0 ? [] : [{ ...base, quantity: 1, unitNetPrice: net, net }];
  const gross = q * p;
  if (gross === net) return [{ ...base, quantity: q, unitNetPrice: p, net }];
  if (d > 0 && gross - d === net && (d * 10_000) % gross === 0)
    return [{ ...base, quantity: q, unitNetPrice: p, discountBp: (d * 10_000) / gross, net }];
  if (net % q === 0) return [{ ...base, quantity: q, unitNetPrice: net / q, net }];
  const unit = Math.floor(net / q);
  const r = net - unit * q;
  return [
    { ...base, quantity: q - r, unitNetPrice: unit, net: (q - r) * unit },
    { ...base, quantity: r, unitNetPrice: unit + 1, net: r * (unit + 1) },
  ];
}

/** The document's lines: order lines by SKU, shipping and fees on the shipping product. */
export function documentLines(order: CanonicalOrder, shippingProductNumber: string): DocumentLine[] {
  const step = stepOf(order.currency);
  const charge = (description: string, exact: number): DocumentLine => {
    const net = divideRounded(exact, step) * step;
    return { productNumber: shippingProductNumber, description, quantity: 1, unitNetPrice: net, net };
  };
  return [
    ...order.lines.flatMap((l) => exactLines(l, l.sku ?? "", step)),
    ...chargedShipping(order).map((s) => charge(s.description || "Shipping", s.netAmount)),
    // Settings have no fee product: fees (e.g. a payment fee) go on the shipping product with their own text.
    ...order.fees.filter((f) => f.netAmount !== 0).map((f) => charge(f.description || "Fee", f.netAmount)),
  ];
}

/** The smallest amount e-conomic holds in a currency, in its minor units: 1, or 10 for a 3-decimal currency. */
const stepOf = (currency: string) => 10 ** Math.max(0, decimalsOf(currency) - ECONOMIC_DECIMALS);

export interface DraftInvoiceInput {
  order: CanonicalOrder;
  settings: Pick<EconomicSettings, "layoutNumber" | "paymentTermsNumber" | "shippingProductNumber" | "roundingProductNumber" | "roundingThreshold">;
  customerNumber: number;
  vatZoneNumber: number;
  treatment: VatTreatment;
  reference: string;
  /** The exchange rate to state (decimal string, base amount of 100 units), or none: e-conomic's daily rate. */
  exchangeRate?: string | null;
}

/**
 * The draft invoice and its totals. `totals.error` is totals_mismatch when the lines cannot match the
 * order's total; the body is still complete (it is then created as a draft, never booked).
 */
export function buildDraftInvoice(input: DraftInvoiceInput): { body: EconomicDraftInvoice; totals: DocumentTotals } {
  const { order, settings } = input;
  const lines = documentLines(order, settings.shippingProductNumber);
  const totals = documentTotals(sumMinor(lines.map((l) => l.net)), input.treatment, order, { ...settings, systemDecimals: ECONOMIC_DECIMALS });
  if (totals.rounding !== 0)
    lines.push({ productNumber: settings.roundingProductNumber!, description: "Rounding", quantity: 1, unitNetPrice: totals.rounding, net: totals.rounding });

  const c = order.customer;
  const recipient: EconomicDraftInvoice["recipient"] = {
    name: clip((c.company?.trim() || c.name?.trim()) ?? "", MAX.name),
    vatZone: { vatZoneNumber: input.vatZoneNumber },
  };
  // e-conomic refuses nulls ("To null a property you must exclude it"): absent fields are left out.
  if (c.address) recipient.address = clip(c.address, MAX.address);
  if (c.zip) recipient.zip = clip(c.zip, MAX.zip);
  if (c.city) recipient.city = clip(c.city, MAX.city);
  if (c.countryCode) recipient.country = clip(countryName(c.countryCode), MAX.country);

  const decimals = decimalsOf(order.currency);
  const body: EconomicDraftInvoice = {
    currency: order.currency,
    ...(input.exchangeRate ? { exchangeRate: Number(input.exchangeRate) } : {}),
    customer: { customerNumber: input.customerNumber },
    date: orderDate(order),
    layout: { layoutNumber: settings.layoutNumber },
    paymentTerms: { paymentTermsNumber: settings.paymentTermsNumber },
    recipient,
    references: { other: referenceText(input.reference) },
    notes: { heading: clip(orderHeading(order.orderNumber), MAX.heading) },
    lines: draftLines(lines, decimals),
  };
  return { body, totals };
}

/** Document lines as e-conomic's draft lines, amounts in the currency's decimals. */
export function draftLines(lines: DocumentLine[], decimals: number): EconomicDraftLine[] {
  return lines.map((l, i) => {
    const line: EconomicDraftLine = {
      lineNumber: i + 1,
      sortKey: i + 1,
      product: { productNumber: l.productNumber },
      description: clip(l.description || l.productNumber, MAX.description),
      quantity: l.quantity,
      unitNetPrice: formatMinor(l.unitNetPrice, decimals),
    };
    if (l.discountBp) line.discountPercentage = l.discountBp / 100;
    return line;
  });
}

/** A heading within e-conomic's limit. */
export const heading = (text: string) => clip(text, MAX.heading);

const clip = (s: string, max: number) => (s.length > max ? s.slice(0, max) : s);

let regionNames: Intl.DisplayNames | null | undefined;

/** "DK" → "Denmark" (e-conomic's country fields are names); the code itself when no name is known. */
export function countryName(code: string): string {
  const upper = code.trim().toUpperCase();
  if (regionNames === undefined) {
    try {
      regionNames = new Intl.DisplayNames(["en"], { type: "region" });
    } catch {
      regionNames = null;
    }
  }
  try {
    return regionNames?.of(upper) ?? upper;
  } catch {
    return upper;
  }
}
