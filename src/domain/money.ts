/**
 * Exact money arithmetic for the canonical order: amounts are integer minor units of their currency's own
 * size (ISO 4217, see currency.ts: øre, cents, yen, fils), VAT rates are integer basis points (2500 = 25 %).
 * Nothing here assumes a number of decimals: every reader and writer is given the currency's. Decimal strings are parsed digit by digit (BigInt), never via
 * floating point sums; JSON numbers are parsed through their shortest string form (19.99 → "19.99").
 * Rounding everywhere is half away from zero.
 */
import { TransferError } from "./errors";

export class MoneyFormatError extends Error {}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses a decimal string or number into {digits, scale}: value = digits / 10^scale. */
function parseDecimal(value: unknown): { digits: bigint; scale: number } {
  let s: string;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new MoneyFormatError(`not a finite number: ${value}`);
    s = String(value);
  } else if (typeof value === "string") {
    s = value.trim();
  } else {
    throw new MoneyFormatError(`not a number or decimal string: ${value === null ? "null" : typeof value}`);
  }
  const m = DECIMAL.exec(s);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) throw new MoneyFormatError(`not a decimal number: ${JSON.stringify(value)}`);
  const [, sign, int, frac = "", exp = "0"] = m;
  const e = Number(exp);
  if (!Number.isSafeInteger(e) || Math.abs(e) > 100) throw new MoneyFormatError(`exponent out of range: ${JSON.stringify(value)}`);
  let digits = BigInt((int || "0") + frac);
  if (sign === "-") digits = -digits;
  let scale = frac.length - e;
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { digits, scale };
}

/** a / b rounded half away from zero (b > 0). */
function divRound(a: bigint, b: bigint): bigint {
  const q = a / b;
  const r = a % b;
  if (r === 0n) return q;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice >= b) return a < 0n ? q - 1n : q + 1n;
  return q;
}

function toSafe(v: bigint, what: unknown): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new MoneyFormatError(`amount out of range: ${JSON.stringify(what)}`);
  return n;
}

/** Scales a decimal to an integer with `decimals` implied decimals, rounding half away from zero. */
function scaled(value: unknown, decimals: number): number {
  const { digits, scale } = parseDecimal(value);
  const v = scale <= decimals ? digits * 10n ** BigInt(decimals - scale) : divRound(digits, 10n ** BigInt(scale - decimals));
  return toSafe(v, value);
}

/**
 * With 2 decimals: "10.00" → 1000, "100.000000" → 10000, "2.5" → 250, 19.99 → 1999, "-3.005" → -301 (half
 * away from zero); with 0 decimals (JPY) "1224" → 1224; with 3 (KWD) "1.234" → 1234.
 * Throws MoneyFormatError for anything that is not a decimal number.
 */
export function parseMinor(value: string | number, decimals: number): number {
  return scaled(value, decimals);
}

/** Like parseMinor, but null for values that cannot be parsed. */
export function tryParseMinor(value: unknown, decimals: number): number | null {
  try {
    return scaled(value, decimals);
  } catch {
    return null;
  }
}

/** Reads one money field of a shop order in the order's currency (see moneyField). */
export type MoneyField = (value: unknown, field: string, fallback?: number) => number;

/**
 * The reader of an order's money fields in a currency with `decimals` minor units. Missing
 * (undefined/null/"") gives `fallback` when one is given; otherwise, and for anything unreadable, it
 * throws TransferError("invalid_order") naming the field.
 */
export function moneyField(decimals: number): MoneyField {
  return (value, field, fallback) => {
    if ((value === undefined || value === null || value === "") && fallback !== undefined) return fallback;
    if (value === undefined || value === null) throw new TransferError("invalid_order", `${field} is missing`);
    try {
      return scaled(value, decimals);
    } catch {
      throw new TransferError("invalid_order", `${field} is not a number: ${JSON.stringify(value)}`);
    }
  };
}

/** A decimal quantity ("1.0000", 2) as an exact number; throws MoneyFormatError. Fractions are kept (4 decimals). */
export function parseQuantity(value: string | number): number {
  return scaled(value, 4) / 10000;
}

/** A rate given as a fraction (Shopify `rate`: 0.25) → basis points (2500). */
export function fractionToBasisPoints(rate: string | number): number {
  return scaled(rate, 4);
}

/** A rate given in percent (WooCommerce `rate_percent`, Magento `tax_percent`: 25, "25.0000") → basis points. */
export function percentToBasisPoints(rate: string | number): number {
  return scaled(rate, 2);
}

/**
 * A rate in either form → basis points: values below 1 are fractions (0.25), 1 and above are percent
 * (25, "25.0000"). Use the explicit functions when the source's form is known (0.5 % would read as 50 %).
 */
export function rateToBasisPoints(rate: string | number): number {
  const { digits } = parseDecimal(rate);
  const frac = fractionToBasisPoints(rate);
  return digits !== 0n && Math.abs(frac) < 10000 ? frac : percentToBasisPoints(rate);
}

/** Integer a / b rounded half away from zero (b ≠ 0). */
export function divideRounded(a: number, b: number): number {
  if (b === 0) throw new RangeError("division by zero");
  const r = divRound(BigInt(a) * (b < 0 ? -1n : 1n), BigInt(Math.abs(b)));
  return Number(r);
}

/** Integer a / b rounded up (towards +∞), b > 0. */
export function divideCeil(a: number, b: number): number {
  const q = Math.floor(a / b);
  return q * b < a ? q + 1 : q;
}

/** The VAT on a net amount at a rate: net × rate, rounded half away from zero. */
export function vatOfNet(netMinor: number, rateBp: number): number {
  return Number(divRound(BigInt(netMinor) * BigInt(rateBp), 10000n));
}

/** Splits a gross amount (VAT included) at a rate: vat = gross × rate / (1 + rate) rounded; net = gross − vat. */
export function splitGross(grossMinor: number, rateBp: number): { net: number; vat: number } {
  const vat = Number(divRound(BigInt(grossMinor) * BigInt(rateBp), 10000n + BigInt(rateBp)));
  return { net: grossMinor - vat, vat };
}

/** The rate implied by a VAT amount on a net amount, in whole basis points (0 when net is 0). */
export function impliedRate(netMinor: number, vatMinor: number): number {
  if (netMinor === 0) return 0;
  return divideRounded(vatMinor * 10000, netMinor);
}

/** Minor units → decimal string with the currency's decimals: (12345, 2) → "123.45", (-5, 2) → "-0.05", (1224, 0) → "1224". */
export function formatMinorString(minor: number, decimals: number): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`not an integer amount: ${minor}`);
  const neg = minor < 0;
  const s = String(Math.abs(minor)).padStart(decimals + 1, "0");
  const out = decimals === 0 ? s : `${s.slice(0, -decimals)}.${s.slice(-decimals)}`;
  return neg ? `-${out}` : out;
}

/** Minor units → a JSON number for external APIs: (12345, 2) → 123.45 (the nearest double to the exact decimal). */
export function formatMinor(minor: number, decimals: number): number {
  return Number(formatMinorString(minor, decimals));
}

/** Sums integer amounts (throws when the sum leaves the safe integer range). */
export function sumMinor(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) s += v;
  if (!Number.isSafeInteger(s)) throw new RangeError("sum out of range");
  return s;
}

/**
 * An order line's integer unit price and discount from its net amounts, such that
 * quantity × unitPriceNet − discountNet = netTotal exactly. When the net before discount does not divide
 * by the quantity, the unit price is rounded up and the remainder (less than `quantity` minor units)
 * is carried in the discount, so the discount is never negative for an undiscounted line.
 */
export function unitAndDiscount(
  quantity: number,
  netBeforeDiscount: number,
  netTotal: number,
): { unitPriceNet: number; discountNet: number } {
  if (quantity <= 0) return { unitPriceNet: 0, discountNet: netTotal === 0 ? 0 : -netTotal };
  const unitPriceNet = divideCeil(netBeforeDiscount, quantity);
  return { unitPriceNet, discountNet: quantity * unitPriceNet - netTotal };
}

/**
 * The exchange rate as e-conomic defines it: the amount in the base currency of 100 units of the document
 * currency, from the same total in both (each in its own minor units), as a decimal string with 6 decimals
 * ("746.123400"). Null when the document total is zero (no rate is implied).
 */
export function impliedExchangeRate(
  document: { gross: number; decimals: number },
  base: { gross: number; decimals: number },
): string | null {
  if (document.gross === 0) return null;
  const RATE_DECIMALS = 6;
  // rate = (base / 10^db) / (doc / 10^dd) × 100, scaled by 10^6.
  const num = BigInt(base.gross) * 10n ** BigInt(document.decimals + RATE_DECIMALS) * 100n;
  const den = BigInt(document.gross) * 10n ** BigInt(base.decimals);
  const r = divRound(den < 0n ? -num : num, den < 0n ? -den : den);
  return formatMinorString(Number(r), RATE_DECIMALS);
}

/**
 * An amount in `from` decimals written with at most `to` decimals (an accounting system that holds fewer
 * decimals than the currency has, e.g. KWD's 3 in e-conomic's 2): the amount in `from` minor units that
 * the system can hold, rounded half away from zero, and whether that is exact.
 */
export function representable(minor: number, from: number, to: number): { minor: number; exact: boolean } {
  if (to >= from) return { minor, exact: true };
  const step = 10 ** (from - to);
  const held = divideRounded(minor, step) * step;
  return { minor: held, exact: held === minor };
}
