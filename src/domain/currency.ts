/**
 * ISO 4217 currencies and their minor units (the number of decimals of one unit: JPY 0, DKK 2, KWD 3).
 * Every amount in the canonical order is an integer in the minor units of its own currency; a code that
 * is not an active ISO 4217 currency cannot be read or written, so it is refused, never guessed.
 */
import { TransferError } from "./errors";

const ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
const THREE = "BHD IQD JOD KWD LYD OMR TND";
const FOUR = "CLF UYW";
/** Active ISO 4217 codes with two decimals (list of 2026; funds codes included, precious metals excluded). */
const TWO =
  "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF " +
  "CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD " +
  "HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT " +
  "MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR " +
  "SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU " +
  "UZS VED VES WST XCD XCG YER ZAR ZMW ZWG";

const MINOR_UNITS: ReadonlyMap<string, number> = new Map(
  ([
    [ZERO, 0],
    [TWO, 2],
    [THREE, 3],
    [FOUR, 4],
  ] as const).flatMap(([codes, decimals]) => codes.split(" ").map((c) => [c, decimals] as const)),
);

/** The minor units of an ISO 4217 code (case-insensitive), or undefined for a code that is not one. */
export function currencyDecimals(code: string): number | undefined {
  return MINOR_UNITS.get(code.trim().toUpperCase());
}

/** Like currencyDecimals, but a code that is not ISO 4217 is TransferError("invalid_order"). */
export function requireCurrency(code: string, what = "currency"): { code: string; decimals: number } {
  const upper = code.trim().toUpperCase();
  const decimals = MINOR_UNITS.get(upper);
  if (decimals === undefined)
    throw new TransferError("invalid_order", `The order's ${what} "${code}" is not an ISO 4217 currency code, so its amounts cannot be read.`);
  return { code: upper, decimals };
}

/** The decimals of a currency, which must be known (an order's currency was checked when it was read). */
export function decimalsOf(code: string): number {
  return requireCurrency(code).decimals;
}

/**
 * An amount for people, in the currency's own decimals, with the locale's separators and the code after
 * it: `1.234,50 EUR` and `1.234 JPY` in Danish (Danish kroner as `kr.`), `1,234.50 EUR` in English.
 */
export function formatAmount(minor: number, currency: string, locale: "da" | "en" = "da"): string {
  const decimals = currencyDecimals(currency) ?? 2;
  const neg = minor < 0;
  const digits = String(Math.abs(minor)).padStart(decimals + 1, "0");
  const int = digits.slice(0, digits.length - decimals);
  const frac = decimals ? digits.slice(-decimals) : "";
  const [thousands, point] = locale === "da" ? [".", ","] : [",", "."];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, thousands);
  const code = currency.toUpperCase();
  return `${neg ? "-" : ""}${grouped}${frac ? point + frac : ""} ${locale === "da" && code === "DKK" ? "kr." : code}`;
}
