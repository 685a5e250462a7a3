import type { Db } from "../db/client";
import type { CanonicalOrder, DocumentRef } from "../domain/order";
import type { FetchFn } from "../lib/outbound";

/** What a shop module offers the core: its orders mapped to the canonical order. */
export interface ShopAdapter {
  /** Maps the shop's order JSON; throws TransferError("invalid_order") when it cannot be read. */
  toOrder(raw: unknown): CanonicalOrder;
  /** The allowed order states from the module's settings (R5). */
  allowedStates(settings: Record<string, unknown>): string[];
}

export interface AccountingContext {
  integrationId: string;
  tenantId: string;
  /** The module's complete settings (defaults applied, secrets decrypted). */
  settings: Record<string, unknown>;
  env: Env;
  db: Db;
  fetch: FetchFn;
}

/** What an accounting module offers the core. */
export interface AccountingAdapter {
  /** Opens a session for one batch: master data is loaded here once and cached, not per order. */
  open(ctx: AccountingContext): Promise<AccountingSession>;
}

export interface AccountingSession {
  /**
   * The frequent errors (product_missing, sku_missing, customer_info_missing, vat_setup_missing,
   * fiscal_year_closed, totals_mismatch when no rounding can fix it) detected against master data,
   * without creating anything. Null when the order can be transferred.
   */
  check(order: CanonicalOrder): Promise<import("../domain/errors").TransferError | null>;
  /** The document already created for this reference (after an uncertain outcome), if any. */
  findDocument(reference: string): Promise<DocumentRef | null>;
  /** Creates the document (draft or booked per settings). Throws TransferError on failure. */
  createDocument(order: CanonicalOrder, reference: string): Promise<{ document: DocumentRef; sent: unknown }>;
  /** Updates a draft in place (R7, when allowDraftUpdates). */
  updateDraft(document: DocumentRef, order: CanonicalOrder, reference: string): Promise<{ document: DocumentRef; sent: unknown }>;
  /** Calls made to the external system in this session (for benchmarks). */
  calls(): number;
}
