import type { Db } from "../db/client";
import type { CanonicalOrder, DocumentRef } from "../domain/order";
import type { FetchFn } from "../lib/outbound";

/** What a shop module offers the core: its orders mapped to the canonical order. */
export interface ShopAdapter {
  /** Maps the shop's order JSON; throws TransferError("invalid_order") when it cannot be read. */
  toOrder(raw: unknown): CanonicalOrder;
  /** The allowed order states from the module's settings (R5). */
  allowedStates(settings: Record<string, unknown>): string[];
  /** Reads orders from the shop's API (polling, reconciliation, imports). */
  client?(ctx: ShopContext): ShopClient;
}

export interface ShopContext {
  integrationId: string;
  /** The module's complete settings (defaults applied, secrets decrypted). */
  settings: Record<string, unknown>;
  env: Env;
  db: Db;
  fetch: FetchFn;
}

export interface ShopOrderQuery {
  /** Which time the range applies to: creation (imports) or last change (polling, reconciliation). */
  by: "created" | "updated";
  /** Inclusive lower bound (ISO UTC). */
  from: string;
  /** Exclusive upper bound (ISO UTC), if any. */
  to?: string;
  /** The opaque cursor of the previous page; absent for the first page. */
  cursor?: string | null;
  pageSize?: number;
}

export interface ShopOrderPage {
  /** The shop's order JSON, as its webhooks would send it (so the same mapper reads both). */
  orders: unknown[];
  /** Null on the last page. */
  nextCursor: string | null;
  /** The shop's own count of matching orders, when it tells (WooCommerce X-WP-Total, Magento total_count). */
  total?: number;
}

/** A shop's order API. Failures throw TransferError("shop_unavailable") with a clear message (401, 5xx, HTML, time-out). */
export interface ShopClient {
  listOrders(query: ShopOrderQuery): Promise<ShopOrderPage>;
  /** API calls made (benchmarks, politeness). */
  calls(): number;
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
  /**
   * Brings a document that already exists for this order and generation (left by a failed or interrupted
   * attempt) up to date with the order and to the configured type: a draft is updated, then booked when
   * documents are booked; a booked one is taken as it is. Never creates a second document.
   */
  completeDocument(document: DocumentRef, order: CanonicalOrder, reference: string): Promise<{ document: DocumentRef; sent: unknown }>;
  /** Updates a draft in place (R7, when allowDraftUpdates). */
  updateDraft(document: DocumentRef, order: CanonicalOrder, reference: string): Promise<{ document: DocumentRef; sent: unknown }>;
  /** Calls made to the external system in this session (for benchmarks). */
  calls(): number;
  /**
   * Optional read-ahead for the orders of one queue batch before they are transferred one by one (e.g.
   * their customers in one filtered call). Only an optimisation: a failure here changes nothing.
   */
  prefetch?(orders: CanonicalOrder[]): Promise<void>;
}
