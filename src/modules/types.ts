import type { z } from "zod";
import type { ModuleStore } from "../db/bindings";
import type { Db } from "../db/client";
import type { BucketLimits } from "../domain/token-bucket";
import type { CanonicalOrder, DocumentRef } from "../domain/order";
import type { CanonicalRefund } from "../domain/refund";
import type { FetchFn } from "../lib/outbound";
import type { ModuleSettings } from "./settings";

/** What a shop module offers the core: its orders mapped to the canonical order. */
export interface ShopAdapter {
  /**
   * Maps the shop's order JSON with the module's settings (e.g. `documentCurrency`, R24); throws
   * TransferError("invalid_order") when it cannot be read.
   */
  toOrder(raw: unknown, settings: ModuleSettings): CanonicalOrder;
  /** The allowed order states from the module's settings (R5). */
  allowedStates(settings: ModuleSettings): string[];
  /**
   * The id and number of an order whose JSON the mapper cannot read, so it can still be shown and fixed
   * (null without an id).
   */
  identify(raw: unknown): { shopOrderId: string; orderNumber: string } | null;
  /** Reads orders from the shop's API (polling, reconciliation, imports). */
  client?(ctx: ShopContext): ShopClient;
  /**
   * R20: the order's refunds in its document currency. `known` are the refund ids already recorded: a
   * shop whose order JSON only lists its refunds (WooCommerce) reads them through its client, and only
   * when one is new. Throws TransferError (invalid_order, shop_unavailable).
   */
  refunds?(raw: unknown, settings: ModuleSettings, known: ReadonlySet<string>, client: () => Promise<ShopClient>): Promise<CanonicalRefund[]>;
  /** A refund delivered on its own (Shopify `refunds/create`), read with its order's JSON. */
  refundOf?(rawRefund: unknown, rawOrder: unknown, settings: ModuleSettings): CanonicalRefund;
  /** The shop order id a refund delivered on its own belongs to. */
  refundOrderId?(rawRefund: unknown): string | null;
  /** How many refunds the order's JSON shows, without asking the shop (the preflight's count, R22). */
  refundCount?(raw: unknown): number;
}

export interface ShopContext {
  integrationId: string;
  /** The module's complete settings (defaults applied, secrets decrypted). */
  settings: ModuleSettings;
  env: Env;
  db: Db;
  fetch: FetchFn;
  /** How long a call may wait in place for the shop's rate budget (a staff call: one query's worth); default 10 s. */
  maxWaitMs?: number;
  /** The clock (tests); default Date.now. */
  now?: () => number;
  /**
   * The integration's shop side as stored now (null when the integration is gone), for a module that
   * renews its credentials (Shopify's expiring tokens). Set by the core; a context made without it
   * cannot renew a token that runs out.
   */
  credentials?: () => Promise<StoredShopCredentials | null>;
}

/** The shop side of an integration as one read saw it; `save` and `refuse` act on that integration. */
export interface StoredShopCredentials {
  /** The side's settings, secrets decrypted. */
  settings: Record<string, unknown>;
  /** The connection was refused before (needs_reconnect, R26). */
  refused: boolean;
  /** Stores a settings patch (secrets encrypted), only over the secrets this read saw: a reconnect meanwhile wins. */
  save(patch: Record<string, unknown>, at: string): Promise<void>;
  /** The shop refused our access: the side needs reconnecting and the merchant is told at once (R25, R26). */
  refuse(at: Date): Promise<void>;
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
  /** The refunds of one order as the shop's API gives them (WooCommerce `GET /orders/{id}/refunds`). */
  listRefunds?(shopOrderId: string): Promise<unknown[]>;
  /** API calls made (benchmarks, politeness). */
  calls(): number;
  /** One order by its shop id (a staff call: the test transfer); null when the shop has no such order. */
  getOrder?(id: string): Promise<unknown | null>;
  /** A background export of many orders (Shopify bulk operations), for imports of a large range. */
  bulk?: BulkOrderExport;
}

export interface BulkOperationState {
  /** CREATED, RUNNING, COMPLETED, CANCELING, CANCELED, FAILED, EXPIRED. */
  status: string;
  /** ACCESS_DENIED, INTERNAL_SERVER_ERROR, TIMEOUT. */
  errorCode: string | null;
  url: string | null;
  rootObjectCount: number;
}

export interface BulkRead {
  orders: unknown[];
  /** Byte offset of the next order in the file; null at its end. */
  nextOffset: number | null;
  /** Opaque: the last order read, so an export started again after a failure resumes after it. */
  resumeKey: string | null;
}

export interface BulkOrderExport {
  /** Starts the export of the range (from the order after `resumeAfter`, a BulkRead.resumeKey); returns the operation's id. */
  start(query: ShopOrderQuery, resumeAfter?: string | null): Promise<string>;
  status(id: string): Promise<BulkOperationState>;
  /** What a failed, cancelled or expired export means, in words the merchant can act on. */
  failure(op: BulkOperationState): string;
  /**
   * Up to `maxOrders` whole orders from the result file, from byte `offset` (the start of an order),
   * passing over the orders up to `resumeAfter`.
   */
  read(url: string, offset: number, maxOrders: number, resumeAfter?: string | null): Promise<BulkRead>;
}

export interface AccountingContext {
  integrationId: string;
  tenantId: string;
  /** The integration's storage for what the module remembers (bindings, cached master data). */
  store: ModuleStore;
  /** The module's complete settings (defaults applied, secrets decrypted). */
  settings: ModuleSettings;
  env: Env;
  db: Db;
  fetch: FetchFn;
}

/** What an accounting module offers the core. */
export interface AccountingAdapter {
  /** Opens a session for one batch: master data is loaded here once and cached, not per order. */
  open(ctx: AccountingContext): Promise<AccountingSession>;
  /**
   * Checks credentials the moment they are set (staff API and settings page) and returns facts to store
   * with the settings (e.g. the organization's name); throws TransferError("accounting_auth_failed")
   * when they are refused, and then nothing is stored.
   */
  verifySettings?(ctx: Pick<AccountingContext, "env" | "fetch">, settings: ModuleSettings): Promise<Record<string, unknown>>;
  /**
   * What the merchant's own agreement offers for the settings that name its records (layouts, payment
   * terms, VAT zones, products …), by setting path ("vatZones.eu"), for dropdowns on the settings page.
   * Needs the credentials; throws TransferError when the system cannot be read.
   */
  choices?(ctx: AccountingContext): Promise<SettingChoices>;
}

/** Choices of settings, by setting path: the value stored and the name the merchant knows it by. */
export type SettingChoices = Record<string, { value: number | string; label: string }[]>;

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
  /** The credit note already created for this reference (after an uncertain outcome), if any. */
  findCreditNote?(reference: string): Promise<DocumentRef | null>;
  /**
   * R20: creates the credit note of one refund (draft or booked per settings) for the invoice, with its
   * customer, VAT treatment, currency and exchange rate. A refund larger than what is left to credit is
   * totals_mismatch. Modules without it fail credit notes with a clear message.
   */
  createCreditNote?(input: CreditNoteInput): Promise<{ document: DocumentRef; sent: unknown }>;
  /** Brings a credit note left by an earlier attempt up to date and to the configured type (as completeDocument). */
  completeCreditNote?(document: DocumentRef, input: CreditNoteInput): Promise<{ document: DocumentRef; sent: unknown }>;
  /** Calls made to the external system in this session (for benchmarks). */
  calls(): number;
  /**
   * Optional read-ahead for the orders of one queue batch before they are transferred one by one (e.g.
   * their customers in one filtered call). Only an optimisation: a failure here changes nothing.
   */
  prefetch?(orders: CanonicalOrder[]): Promise<void>;
}

/** What a credit note is made from (R20). */
export interface CreditNoteInput {
  /** The order as its invoice was made from. */
  order: CanonicalOrder;
  /** The invoice it credits, and the document as sent for it (its customer, VAT zone, currency, rate). */
  invoice: DocumentRef;
  invoiceSent: unknown;
  /**
   * Our reference on the invoice: how a module whose booked number is not its id (Billy, Dinero) finds
   * the invoice when the body as sent is not kept (an invoice found after a lost answer).
   */
  invoiceReference?: string;
  refund: CanonicalRefund;
  /** Gross already credited by the order's other credit notes (minor units). */
  creditedBefore: number;
  reference: string;
}

// ---- module descriptors: one per folder (src/modules/<id>/index.ts), listed once in src/modules/index.ts ----

/** The request headers a webhook verifier reads (Hono's `c.req` fits). */
export interface WebhookRequest {
  header(name: string): string | undefined;
}

/** A webhook topic we take: an order (created or updated) or a refund on its own. */
export interface WebhookTopic {
  name: string;
  isUpdate: boolean;
  /** The body is a refund on its own (Shopify refunds/create), not an order. */
  subject?: "order" | "refund";
}

/** What differs between webhook shops; the rest of a webhook's path (size, HMAC, persist, enqueue) is shared. */
export interface WebhookVerifier {
  /** The base64 HMAC-SHA256 of the raw body that the shop sent. */
  signature(req: WebhookRequest): string | undefined;
  /** A request answered 200 before any check (WooCommerce's unsigned creation ping). */
  isPing?(req: WebhookRequest, text: string): boolean;
  /** Extra authentication after the signature (Shopify's shop domain). */
  checkOrigin?(req: WebhookRequest, settings: ModuleSettings): boolean;
  /** The topic, or null when it is not an order or refund topic we take (answered 200, ignored). */
  topic(req: WebhookRequest): WebhookTopic | null;
  /** The stable key that makes a redelivery a duplicate. */
  dedupeKey(req: WebhookRequest, order: Record<string, unknown>, text: string): Promise<string>;
  /** The shop removed our app (Shopify `app/uninstalled`): the connection needs reconnecting (R26). */
  disconnected?(req: WebhookRequest): boolean;
  /** The operator's app secret, which signs the webhooks of a shop connected by app install. */
  appSecret?(env: Env): string | undefined;
}

/**
 * A privacy request of a shop's app (R27), in neutral words: a customer's data asked for (recorded for
 * staff), a customer's personal data to erase, or the whole shop's stored copies to erase.
 */
export type PrivacyRequest = {
  /** The shop, as its integrations' `PrivacyHook.shopSetting` names it (lower case). */
  shop: string;
  /** The audit log's action, and what the request said (ids, no personal data). */
  action: string;
  details: Record<string, unknown>;
} & ({ kind: "report" } | { kind: "erase_shop" } | { kind: "erase_customer"; customer: { id: string | null; email: string | null }; orderIds: string[] });

/** A shop app's privacy webhooks (Shopify's compliance webhooks): one address for the app, and how its stored copies are found and redacted. */
export interface PrivacyHook {
  /** The address under /webhooks. */
  path: string;
  /** Why the request is refused (answered 401), or undefined when the app signed it. */
  verify(req: WebhookRequest, body: ArrayBuffer, env: Env): Promise<string | undefined>;
  /** The request; null for a topic we do not take (answered 200), `invalid` when it cannot be read (400). */
  read(req: WebhookRequest, text: string): PrivacyRequest | { invalid: string } | null;
  /** The shop setting that names the shop; its integrations are found by it, case-insensitively. */
  shopSetting: string;
  /** Where the order as received names its customer (JSON paths), to find a customer's orders. */
  customerPaths: { id: string; email: string };
  /** A stored delivery body (an order or a refund) is one of these orders, or names this e-mail. */
  concerns(body: Record<string, unknown>, orderIds: string[], email: string | null): boolean;
  /** The order as received, and a refund as delivered, without the buyer's personal data (amounts, lines, ids and dates stay). */
  redactOrder(order: unknown): unknown;
  redactRefund(refund: unknown): unknown;
}

/** A demo order made by a staff call: its one line, customer and amounts. */
export interface DemoOrderInput {
  status?: string;
  email?: string;
  country?: string;
  sku?: string | null;
  quantity?: number;
  /** Unit price excl. VAT, minor units. */
  unitPrice?: number;
  vat?: boolean;
  shipping?: number;
  createdAt?: string;
  /** ISO 4217 code (default DKK); amounts are in its minor units. */
  currency?: string;
}

/** A demo refund: part of the line, the shipping, an amount without lines; nothing given is a full refund. */
export interface DemoRefundInput {
  /** Units of the order's line given back (default: all not refunded yet when nothing else is given). */
  quantity?: number;
  /** Give the shipping back (default: with a full refund). */
  shipping?: boolean;
  /** An amount given back without lines, gross, minor units. */
  amount?: number;
}

/** A shop whose orders staff make by hand for trying orderbridge (the sandbox shop). */
export interface DemoShop {
  /** Creates a demo order (polled and transferred like any order); the order as the shop keeps it. */
  createOrder(db: Db, integrationId: string, input: DemoOrderInput): Promise<Record<string, unknown>>;
  /** Refunds a demo order; null when there is no such order, a string saying why when the refund cannot be made. */
  refundOrder(db: Db, integrationId: string, orderId: string, input: DemoRefundInput): Promise<Record<string, unknown> | string | null>;
}

/** A text in both languages of the settings page. */
export type Words = { da: string; en: string };

interface ModuleBase {
  id: string;
  name: string;
  /** The full settings schema: required fields are the ones activation needs (R1). */
  settings: z.ZodObject;
  /** Its settings in the merchant's words, by setting path ("vatZones.eu"; an option as "customerMode:collective"); shared settings are named by the core. */
  labels?: { da: Record<string, string>; en: Record<string, string> };
  /** A line of help under a setting, where its label alone does not say what happens. */
  settingHelp?: { da: Record<string, string>; en: Record<string, string> };
  /**
   * A connect flow (R26): where the button leads, what it says, the settings it fills in itself, and the
   * flow the core's routes (src/connect/) run.
   */
  connect?: { help: Words; filledByConnection?: string[]; flow: ConnectFlow };
}

export interface ShopModule extends ModuleBase {
  side: "shop";
  /** How orders reach us: pushed by webhook (start point = activation, R3) or polled (start = creation, R2). */
  delivery: "webhook" | "poll";
  behaviour: ShopAdapter;
  /** For webhook shops: how a delivery is verified and read. */
  webhook?: WebhookVerifier;
  /** How the merchant creates the webhooks by hand (typed credentials). */
  webhookHelp?: Words;
  /** The order states in the words of the shop's own admin, per language. */
  stateNames?: { da: Record<string, string>; en: Record<string, string> };
  /** A shop app's privacy webhooks (R27). */
  privacy?: PrivacyHook;
  /** Demo orders and refunds made by staff (the staff API's sandbox routes). */
  demo?: DemoShop;
}

export interface AccountingModule extends ModuleBase {
  side: "accounting";
  delivery?: undefined;
  behaviour: AccountingAdapter;
  /** The system's documented request limit per account, for the shared limiter (src/lib/rate-limiter.ts); none for the sandbox. */
  limits?: BucketLimits;
}

export type ModuleDescriptor = ShopModule | AccountingModule;

// ---- connect flows (R26): what differs per system; the routes, the state and the storing are the core's ----

/** A setting that must be filled before the flow starts (400, naming `<side>.settings.<setting>`). */
export interface ConnectRequirement {
  setting: string;
  /** Whether the stored value (a string, "" when absent) will do; default: not empty. */
  ok?(value: string): boolean;
  missing: Words;
}

/** What the authorize URL is made from. */
export interface ConnectStart {
  env: Env;
  /** The side's stored plain settings. */
  settings: Record<string, unknown>;
  /** Our one-time state. */
  state: string;
  /** `${PUBLIC_URL}/connect/<id>/callback`. */
  callbackUrl: string;
  /** The integration's page, where the merchant comes back. */
  returnUrl: string;
  lang: "da" | "en";
}

/** What a callback brought. */
export interface ConnectInput {
  /** Its query (the first value of each name), JSON body or form fields, as `callback.reads` says. */
  fields: Record<string, unknown>;
  /** The query as sent (a signature is checked over it). */
  query: URLSearchParams;
}

/** What `complete` works with: the callback's input, after its state was taken for this integration. */
export interface ConnectCompletion extends ConnectInput {
  env: Env;
  fetch: FetchFn;
  /** The side's stored plain settings. */
  settings: Record<string, unknown>;
  callbackUrl: string;
  /** Where the system sends this integration's webhooks: `${PUBLIC_URL}/webhooks/<id>/<integrationId>`. */
  webhookUrl: string;
}

/** A callback or install not taken: nothing is stored, and the merchant (or the system) is told why. */
export interface ConnectRefusal {
  ok: false;
  status: 400 | 401 | 502;
  /** A string is the same in both languages (the English of a JSON answer). */
  text: Words | string;
  /** The JSON answer's error code; default invalid_request. */
  code?: string;
}

/** A connection made: stored at once, with the audit row `connection.<id>`. */
export interface ConnectDone {
  ok: true;
  /** Stored as the side's settings, merged and encrypted as typed ones would be. */
  credentials: Record<string, unknown>;
  /** The connection's account: the shop, organization or agreement as the merchant knows it. */
  account: string;
  /** The audit row's details. */
  details: Record<string, unknown>;
}

/** A webhook a check created again or re-enabled. */
export interface WebhookRepair {
  topic: string;
  action: string;
}

/** What a webhook check works with: the shop side's complete settings (secrets decrypted). */
export interface WebhookCheckContext {
  env: Env;
  fetch: FetchFn;
  settings: Record<string, unknown>;
  /** `${PUBLIC_URL}/webhooks/<id>/<integrationId>`. */
  webhookUrl: string;
}

/**
 * One system's connect flow. The core mounts `GET /connect/<id>/start` (a signed-in owner; the env, then
 * `requires`, then a state and a 302 to `authorizeUrl`), `/connect/<id>/callback` (read the input,
 * `verify`, take the state, load the integration, `complete`, store) and, with `install`, `GET /connect/<id>`.
 */
export interface ConnectFlow {
  /** The Worker variables the flow needs: one missing is 503 not_configured at start, install and a verified callback. */
  env: string[];
  /** The not_configured text, when not the common one naming `env`. */
  notConfigured?: Words;
  requires?: ConnectRequirement[];
  authorizeUrl(start: ConnectStart): string;
  callback: {
    method: "GET" | "POST";
    /** Where state and inputs are read from. */
    reads: "query" | "json" | "form";
    /** The field that carries our state. */
    state: string;
    /**
     * The state is bound to the browser session that started the flow (the merchant's browser comes
     * back), or not (the system calls us: server to server, or a cross-site form_post).
     */
    session: boolean;
    /** A page (or a 303 to the integration) for the merchant, or JSON for a system. */
    answers: "page" | "json";
    /** The page's text for a state not taken, when not the common one. */
    expired?: Words;
  };
  /** Checks before the state is taken (a signed query, the input's shape); null when they hold. */
  verify?(env: Env, input: ConnectInput): Promise<ConnectRefusal | null>;
  /** Checks the input and talks to the system (code exchange, webhooks, the account's name). */
  complete(c: ConnectCompletion): Promise<ConnectDone | ConnectRefusal>;
  /** `GET /connect/<id>`: an install started in the other system; where the merchant goes on. */
  install?(env: Env, query: URLSearchParams): Promise<{ ok: true; redirect: string } | ConnectRefusal>;
  /**
   * For a shop connected by the flow (its webhooks are ours): a check every `everyHours` that makes them
   * exist and be active. Returns what it repaired, or the TransferError that kept it from checking.
   */
  webhookCheck?: {
    everyHours: number;
    run(c: WebhookCheckContext): Promise<{ repaired: WebhookRepair[] } | { failed: import("../domain/errors").TransferError }>;
  };
}
