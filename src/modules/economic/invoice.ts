/**
 * CanonicalOrder → the body of POST /invoices/drafts (e-conomic/slate `_invoices.md`). Pure.
 *
 * The lines are the shared document plan (domain/document-plan.ts: every line's net total equals the
 * order's exactly). e-conomic takes `unitNetPrice` with at most two decimals (error E04740) and computes a
 * line as quantity × unitNetPrice × (1 − discountPercentage/100), so the plan's exact lines need no
 * rounding by e-conomic; a percentage discount is written as `discountPercentage`.
 * Amounts are written with the document currency's own decimals (JPY 1224, EUR 12.24). A currency with
 * more decimals than e-conomic's two (KWD) is written in steps of what e-conomic holds (10 fils); what
 * cannot be held goes on the rounding line within the threshold, else the order is totals_mismatch.
 * When the document currency is not the agreement's base currency and the shop gave the order's total
 * in the base currency too, `exchangeRate` is the rate that total implies (base amount of 100 units).
 */
import { documentTotals, orderDate, type DocumentTotals } from "../../domain/checks";
import { documentLines, orderHeading, withRounding, type DocumentLine } from "../../domain/document-plan";
import { decimalsOf } from "../../domain/currency";
import { formatMinor, sumMinor } from "../../domain/money";
import type { CanonicalOrder } from "../../domain/order";
import type { VatTreatment } from "../../domain/vat";
import type { EconomicSettings } from "./settings";

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
  const planned = documentLines(order, settings.shippingProductNumber, ECONOMIC_DECIMALS);
  const totals = documentTotals(sumMinor(planned.map((l) => l.net)), input.treatment, order, { ...settings, systemDecimals: ECONOMIC_DECIMALS });
  const lines = withRounding(planned, totals, settings.roundingProductNumber!);

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
