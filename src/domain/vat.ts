/**
 * The VAT treatment of an order (api.md "How an order becomes an e-conomic invoice"), in neutral words:
 * domestic (Danish VAT), eu or abroad (no VAT), or unsupported, which is the decision's error
 * (vat_setup_missing, saying why). Each accounting module maps a treatment to its own target: the
 * e-conomic VAT zone, the Dinero sales account, the Billy product's sales tax ruleset (checks.ts
 * `vatTargetOf`). Pure.
 */
import { TransferError } from "./errors";
import type { CanonicalOrder } from "./order";

export type VatTreatment = "domestic" | "eu" | "abroad";

/** Danish VAT, the only rate the integration books (25 %, in basis points). */
export const DANISH_VAT_BP = 2500;

/** The 26 EU member states other than Denmark (ISO 3166-1 alpha-2; Greece is GR, not the VAT prefix EL). */
export const EU_COUNTRIES_EXCEPT_DK: ReadonlySet<string> = new Set([
  "AT", "BE", "BG", "HR", "CY", "CZ", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
  "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
]);

export type VatDecision = { treatment: VatTreatment; error?: undefined } | { treatment?: undefined; error: TransferError };

const percent = (bp: number) => `${bp / 100} %`;

/**
 * Charged Danish VAT on every amount that carries VAT → domestic, whatever the country. No VAT at all →
 * eu for an EU country other than DK, abroad outside the EU. Anything else (a Danish order without VAT,
 * a mix of VAT and no VAT, another rate such as an OSS rate) has no VAT setup here: vat_setup_missing.
 */
export function vatTreatment(order: CanonicalOrder): VatDecision {
  const country = order.customer.countryCode?.trim().toUpperCase() || null;
  // Zero amounts (free shipping, a 0-priced gift) say nothing about the VAT treatment.
  const amounts = [
    ...order.lines.map((l) => ({ net: l.netTotal, rate: l.vatRate, vat: l.vatAmount })),
    ...order.shipping.map((c) => ({ net: c.netAmount, rate: c.vatRate, vat: c.vatAmount })),
    ...order.fees.map((c) => ({ net: c.netAmount, rate: c.vatRate, vat: c.vatAmount })),
  ].filter((a) => a.net !== 0 || a.vat !== 0);
  const rates = new Set(amounts.map((a) => (a.rate === 0 && a.vat !== 0 ? -1 : a.rate)));
  const where = country ? ` (billing country ${country})` : "";

  const other = [...rates].filter((r) => r !== 0 && r !== DANISH_VAT_BP);
  if (other.length > 0) {
    const named = other.map((r) => (r === -1 ? "VAT without a rate" : percent(r))).join(", ");
    return fail(`The order is charged VAT at ${named}${where}; only Danish VAT (25 %) or no VAT can be booked. Map the country's VAT or charge Danish VAT in the shop.`);
  }
  if (rates.has(DANISH_VAT_BP) && rates.has(0))
    return fail(`The order mixes Danish VAT (25 %) and amounts without VAT${where}; one order must be either with Danish VAT or without VAT.`);
  if (rates.has(DANISH_VAT_BP)) return { treatment: "domestic" };

  if (!country) return { error: new TransferError("customer_info_missing", "The order has no billing country, and without VAT the country decides the VAT zone.") };
  if (country === "DK") return fail("A Danish order (billing country DK) without VAT: Danish customers must be charged 25 % VAT. Set VAT in the shop.");
  return { treatment: EU_COUNTRIES_EXCEPT_DK.has(country) ? "eu" : "abroad" };
}

function fail(message: string): VatDecision {
  return { error: new TransferError("vat_setup_missing", message) };
}

/** The VAT rate a document of this treatment is charged at (e-conomic applies it from the zone, Dinero from the account). */
export const zoneVatRate = (t: VatTreatment) => (t === "domestic" ? DANISH_VAT_BP : 0);
