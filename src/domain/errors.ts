import type { DocumentRef } from "./order";
/** The error categories of domain.md; every failure is sorted into one. */
export const ERROR_CATEGORIES = [
  "product_missing",
  "sku_missing",
  "customer_info_missing",
  "vat_setup_missing",
  "fiscal_year_closed",
  "totals_mismatch",
  "accounting_rejected",
  "accounting_auth_failed",
  "accounting_unavailable",
  "shop_unavailable",
  "invalid_order",
] as const;

export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

/** What the merchant can do about it (domain.md's "typical fix"). */
export const HINTS: Record<ErrorCategory, string> = {
  product_missing: "Create the product in the accounting system with the shop's SKU as its number, then transfer again.",
  sku_missing: "Give the product a SKU in the shop, then update the order.",
  customer_info_missing: "Complete the customer's name, email and country on the order, then update it.",
  vat_setup_missing: "Map the country's VAT zone in the integration, or set VAT in the shop.",
  fiscal_year_closed: "Create or reopen the accounting year of the order's date, then transfer again.",
  totals_mismatch: "Check the VAT rates of the order in the shop, then transfer again.",
  accounting_rejected: "See the accounting system's message; fix the setting it names and transfer again.",
  accounting_auth_failed: "Reconnect the accounting system (the access was refused or revoked).",
  // Stored on failed orders only, whose retries ran out: nothing retries them by itself.
  accounting_unavailable: "The accounting system did not answer after several attempts; nothing retries the order by itself. Check the accounting system, then transfer again.",
  shop_unavailable: "The shop did not answer after several attempts; nothing retries the order by itself. Check the shop's address and access, then transfer again.",
  invalid_order: "Contact support with the order id.",
};

/** Categories that are retried automatically; all others are fixed by the merchant (no pointless retries). */
export const TRANSIENT: ReadonlySet<ErrorCategory> = new Set(["accounting_unavailable", "shop_unavailable"]);

export class TransferError extends Error {
  readonly hint: string;
  constructor(
    readonly category: ErrorCategory,
    message: string,
    opts: { hint?: string; retryAfterSeconds?: number; details?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.hint = opts.hint ?? HINTS[category];
    this.retryAfterSeconds = opts.retryAfterSeconds;
    this.details = opts.details;
  }
  readonly retryAfterSeconds?: number;
  readonly details?: Record<string, unknown>;
  get transient() {
    return TRANSIENT.has(this.category);
  }
}

/**
 * The accounting system has no such document (any more): a recorded draft was booked by an attempt whose
 * answer was lost, or deleted by the merchant. Not a refusal: the caller looks our reference up.
 */
export class DocumentGone extends TransferError {
  constructor(readonly document: { type: string; number: string }, system: string) {
    super("accounting_rejected", `${system}: ${document.type} ${document.number} no longer exists.`);
  }
}

/** The same error, carrying the document that exists in the accounting system, so the ledger records it. */
export function withDocument(err: TransferError, document: DocumentRef, sent: unknown, note: string) {
  return new TransferError(err.category, err.message + note, {
    hint: err.hint,
    retryAfterSeconds: err.retryAfterSeconds,
    details: { ...err.details, document, sent },
  });
}
