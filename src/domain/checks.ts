/**
 * The frequent errors (domain.md), found against an accounting system's master data before anything is
 * created, and the totals check of a document. Pure: every accounting module loads its master data and
 * calls these, so the rules are the same for all of them.
 */
import { copenhagenDate } from "./calendar";
import { TransferError } from "./errors";
import { decimalsOf } from "./currency";
import { formatMinorString, representable, vatOfNet } from "./money";
import type { CanonicalOrder } from "./order";
import { vatTreatment, zoneVatRate, type VatTreatment } from "./vat";

export interface AccountingYear {
  year: string;
  /** YYYY-MM-DD, inclusive. */
  fromDate: string;
  toDate: string;
  closed: boolean;
}

/** What the accounting system knows, as far as the checks need it. */
export interface MasterData {
  /** Absent when the system does not tell (it refuses a closed period itself when the document is made). */
  accountingYears?: readonly AccountingYear[];
  productNumbers: ReadonlySet<string>;
}

/**
 * A module's own target for a VAT treatment (e-conomic: the VAT zone set for it; Dinero: the sales
 * account; the sandbox: its zone), or the vat_setup_missing error when the merchant's system has none.
 */
export type VatTarget<T> = (treatment: VatTreatment) => T | TransferError;

export interface CheckOptions {
  shippingProductNumber: string;
  autoCreateProducts?: boolean;
  /** Default: every treatment has a target (the module checks its VAT setup itself). */
  vatTarget?: VatTarget<unknown>;
}

/** The accounting date of an order: its creation date in Europe/Copenhagen. */
export const orderDate = (order: CanonicalOrder) => copenhagenDate(order.createdAt);

/** Shipping lines that put an amount on the document (free shipping adds no line). */
export const chargedShipping = (order: CanonicalOrder) => order.shipping.filter((s) => s.netAmount !== 0);

/** The product numbers a document for this order uses: the lines' SKUs, and the shipping product for shipping and fees. */
export function productNumbersOf(order: CanonicalOrder, shippingProductNumber: string): string[] {
  const numbers = new Set<string>();
  for (const l of order.lines) if (l.sku) numbers.add(l.sku);
  if (chargedShipping(order).length > 0 || order.fees.some((f) => f.netAmount !== 0)) numbers.add(shippingProductNumber);
  return [...numbers];
}

/**
 * The order's VAT treatment (vat.ts: domestic, eu, abroad; an order none fits is the decision's error)
 * and the module's target for it, or the error that prevents choosing one.
 */
export function vatTargetOf<T>(order: CanonicalOrder, target: VatTarget<T>): { treatment: VatTreatment; target: T; error?: undefined } | { error: TransferError } {
  const decision = vatTreatment(order);
  if (decision.error) return { error: decision.error };
  const t = target(decision.treatment);
  return t instanceof TransferError ? { error: t } : { treatment: decision.treatment, target: t };
}

/**
 * The first frequent error of the order, in a fixed order: sku_missing, customer_info_missing,
 * vat_setup_missing, product_missing, fiscal_year_closed (a date in no known accounting year is
 * accounting_rejected). Null when the order can be transferred.
 */
export function checkOrder(order: CanonicalOrder, master: MasterData, opts: CheckOptions): TransferError | null {
  const noSku = order.lines.find((l) => !l.sku?.trim());
  if (noSku) return new TransferError("sku_missing", `The line "${noSku.description}" has no SKU, so it cannot be matched to a product.`);

  const customer = customerInfoError(order);
  if (customer) return customer;

  const vat = vatTargetOf(order, opts.vatTarget ?? ((t) => t));
  if (vat.error) return vat.error;

  if (!opts.autoCreateProducts) {
    const absent = productNumbersOf(order, opts.shippingProductNumber).filter((n) => !master.productNumbers.has(n));
    if (absent.length > 0) {
      const shipping = absent.includes(opts.shippingProductNumber) ? " (the shipping product)" : "";
      return new TransferError(
        "product_missing",
        `Product ${absent.map((n) => `"${n}"`).join(", ")}${shipping} does not exist in the accounting system.`,
        { details: { productNumbers: absent } },
      );
    }
  }

  return master.accountingYears ? fiscalYearError(orderDate(order), master.accountingYears) : null;
}

/** customer_info_missing when the order's customer has no name (or company), email or country. */
export function customerInfoError(order: CanonicalOrder): TransferError | null {
  const c = order.customer;
  const missing = [!(c.name?.trim() || c.company?.trim()) && "name", !c.email?.trim() && "email", !c.countryCode?.trim() && "country"].filter(Boolean);
  return missing.length > 0 ? new TransferError("customer_info_missing", `The order's customer has no ${missing.join(", ")}.`) : null;
}

export function fiscalYearError(date: string, years: readonly AccountingYear[]): TransferError | null {
  const year = years.find((y) => y.fromDate <= date && date <= y.toDate);
  if (!year)
    return new TransferError("accounting_rejected", `The order date ${date} lies in no accounting year of the accounting system.`, {
      hint: "Create the accounting year in the accounting system, then transfer the order again.",
    });
  if (year.closed)
    return new TransferError("fiscal_year_closed", `The order date ${date} lies in the closed accounting year ${year.year} (${year.fromDate} to ${year.toDate}).`);
  return null;
}

export interface TotalsOptions {
  roundingProductNumber?: string;
  /** Minor units; a difference up to this is corrected with a rounding line. */
  roundingThreshold?: number;
  /**
   * The most decimals the accounting system holds in an amount (e-conomic: 2). When the document currency
   * has more (KWD: 3), amounts are held at the system's decimals, and what it cannot hold is never
   * rounded silently: it goes on the rounding line within the threshold, else it is totals_mismatch.
   */
  systemDecimals?: number;
}

export interface DocumentTotals {
  /** The document's totals, including the rounding line when one is added. */
  net: number;
  vat: number;
  gross: number;
  /** The net amount of the rounding line to add (0: none). */
  rounding: number;
  /** totals_mismatch when the document cannot match the order's gross total. */
  error: TransferError | null;
}

/**
 * The document's totals compared with the order's. The document's VAT is the zone's rate on its net
 * total (how the accounting system computes it). A difference in the gross total up to the threshold is
 * corrected by a rounding line (its product must be in a product group without VAT); a larger one, or
 * any difference without a rounding product, is totals_mismatch.
 */
export function documentTotals(documentNet: number, treatment: VatTreatment, order: CanonicalOrder, opts: TotalsOptions): DocumentTotals {
  const decimals = decimalsOf(order.currency);
  const held = (m: number) => representable(m, decimals, opts.systemDecimals ?? decimals).minor;
  const vat = held(vatOfNet(documentNet, zoneVatRate(treatment)));
  const gross = documentNet + vat;
  const diff = order.totals.gross - gross;
  if (diff === 0) return { net: documentNet, vat, gross, rounding: 0, error: null };
  const threshold = opts.roundingThreshold ?? 0;
  const rounding = held(diff);
  if (opts.roundingProductNumber && Math.abs(diff) <= threshold)
    return { net: documentNet + rounding, vat, gross: gross + rounding, rounding, error: null };
  const fmt = (m: number) => `${formatMinorString(m, decimals)} ${order.currency}`;
  const unholdable =
    held(order.totals.gross) !== order.totals.gross
      ? ` The accounting system holds amounts with at most ${opts.systemDecimals} decimals, so ${fmt(order.totals.gross)} cannot be held exactly.`
      : "";
  const allowed =
    (opts.roundingProductNumber ? `more than the rounding threshold of ${fmt(threshold)}` : "and no rounding product is set") + "." + unholdable;
  return {
    net: documentNet,
    vat,
    gross,
    rounding: 0,
    error: new TransferError(
      "totals_mismatch",
      `The document's total ${fmt(gross)} (net ${fmt(documentNet)}, VAT ${fmt(vat)}) differs from the order's total ${fmt(order.totals.gross)} by ${fmt(diff)}, ${allowed}`,
      { details: { documentTotals: { net: documentNet, vat, gross }, orderTotals: order.totals } },
    ),
  };
}
