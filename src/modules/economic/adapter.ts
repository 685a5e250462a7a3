/**
 * The e-conomic accounting module: an order becomes a draft (or booked) invoice.
 *
 * Master data (VAT zones, accounting years and the first page, 1,000, of products: three GETs) is read
 * once and kept in D1 for MASTER_TTL_MS, shared by every queue batch of the integration (live batches and
 * the batches of an import alike), instead of once per batch. A check that fails on kept master data is
 * made again on freshly read data before the order fails (the merchant may just have fixed it in
 * e-conomic), and a draft e-conomic refuses drops the kept copy. For a catalogue of up to 1,000 products
 * that first page is the whole catalogue; for a larger one the unknown product numbers of a batch are
 * looked up in filtered GETs (`productNumber$eq:A$or:productNumber$eq:B`) and remembered for the session.
 *
 * Customers (customerMode per_customer, and companies in collective mode): the emails of a batch are read
 * from the binding table in one statement, and the ones not bound yet are looked up in e-conomic in one
 * filtered GET (`email$eq:a$or:email$eq:b`, as many per call as keep the URL short), so a batch of N new
 * buyers costs one look-up, N POST /customers and N drafts. In collective mode a private buyer (no company
 * name, no VAT number) costs no customer call at all: the invoice goes to the collective debtor with the
 * buyer as its recipient. Then POST /invoices/drafts, and POST /invoices/booked when documents are booked.
 */
import type { Bindings, CacheEntry } from "../../db/bindings";
import { sha256Hex } from "../../lib/crypto";
import { checkOrder, fiscalYearError, productNumbersOf, vatTargetOf, type AccountingYear, type CheckOptions, type MasterData } from "../../domain/checks";
import { vatTreatment, type VatTreatment } from "../../domain/vat";
import { copenhagenDate } from "../../domain/calendar";
import { buildCreditNote } from "./credit-note";
import { DocumentGone, TransferError, withDocument, type ErrorCategory } from "../../domain/errors";
import { decimalsOf } from "../../domain/currency";
import { formatMinor, impliedExchangeRate, representable } from "../../domain/money";
import type { CanonicalOrder, DocumentRef } from "../../domain/order";
import type { AccountingAdapter, AccountingContext, AccountingSession, CreditNoteInput, SettingChoices } from "../types";
import { EconomicClient, filterValue } from "./client";
import { buildDraftInvoice, countryName, ECONOMIC_DECIMALS, referenceText, type EconomicDraftInvoice } from "./invoice";
import { sharedBudget } from "../../lib/rate-limiter";
import type { BucketLimits } from "../../domain/token-bucket";
import type { EconomicSettings } from "./settings";

interface VatZoneItem {
  vatZoneNumber: number;
}
interface AccountingYearItem {
  year: string;
  fromDate: string;
  toDate: string;
  /** e-conomic leaves false booleans out of its answers. */
  closed?: boolean;
}
interface ProductItem {
  productNumber: string;
}
interface CustomerItem {
  customerNumber: number;
  email?: string;
}
interface InvoiceItem {
  draftInvoiceNumber?: number;
  bookedInvoiceNumber?: number;
  references?: { other?: string };
}

/** Product numbers per filtered lookup (keeps the URL short). */
const LOOKUP_CHUNK = 20;
/**
 * Longest `filter` value of one customer look-up, URL-encoded. e-conomic documents no limit; servers
 * commonly refuse query strings over 2,048 characters (IIS's default), so a look-up stays well below.
 */
export const MAX_FILTER_CHARS = 1500;
/** How long master data read from e-conomic serves later batches before it is read again. */
export const MASTER_TTL_MS = 10 * 60_000;
/** Check failures that depend on master data: made again on fresh data before they count. */
const MASTER_DEPENDENT = new Set<ErrorCategory>(["vat_setup_missing", "product_missing", "fiscal_year_closed", "accounting_rejected"]);

/** Master data as kept in D1. */
export interface MasterSnapshot {
  vatZoneNumbers: number[];
  accountingYears: AccountingYear[];
  products: string[];
  /** True when `products` is the whole catalogue. */
  catalogueComplete: boolean;
}

/** e-conomic's rate limit per agreement (reference.md): a bucket of 2,000 requests refilled at 30 a second. */
export const ECONOMIC_LIMITS: BucketLimits = { capacity: 2000, refillPerSecond: 30 };

/**
 * The client of the integration's agreement, with the agreement's shared request budget, and the key its
 * kept data is stored under: another grant token (another e-conomic agreement) never sees this one's data.
 */
async function agreementClient(ctx: AccountingContext) {
  const settings = ctx.settings as EconomicSettings;
  if (!ctx.env.ECONOMIC_APP_SECRET_TOKEN)
    throw new TransferError("accounting_auth_failed", "The e-conomic app secret token (ECONOMIC_APP_SECRET_TOKEN) is not configured.");
  const client = new EconomicClient({
    baseUrl: ctx.env.ECONOMIC_API_URL || "https://restapi.e-conomic.com",
    appSecretToken: ctx.env.ECONOMIC_APP_SECRET_TOKEN,
    agreementGrantToken: settings.agreementGrantToken,
    fetch: ctx.fetch,
    beforeRequest: await sharedBudget(ctx.env, "economic", settings.agreementGrantToken, "e-conomic", ECONOMIC_LIMITS),
  });
  return { client, agreement: (await sha256Hex(settings.agreementGrantToken)).slice(0, 16) };
}

/** The agreement's layouts, payment terms, customer groups, VAT zones, product groups and products, kept for MASTER_TTL_MS. */
async function economicChoices(ctx: AccountingContext): Promise<SettingChoices> {
  const { client, agreement } = await agreementClient(ctx);
  const kept = ctx.store.cache<SettingChoices>(`economic.choices:${agreement}`);
  const cached = await kept.read().catch(() => undefined);
  const age = cached ? Date.now() - Date.parse(cached.loadedAt) : NaN;
  if (cached && age >= 0 && age < MASTER_TTL_MS) return cached.data;
  const named = <T>(items: T[], value: (i: T) => number | string, name: (i: T) => string | undefined) => items.map((i) => ({ value: value(i), label: name(i) ?? String(value(i)) }));
  type Item = { name?: string; layoutNumber?: number; paymentTermsNumber?: number; customerGroupNumber?: number; vatZoneNumber?: number; productGroupNumber?: number; productNumber?: string; barred?: boolean };
  const [layouts, terms, groups, zones, productGroups, products] = await Promise.all([
    client.all<Item>("/layouts"),
    client.all<Item>("/payment-terms"),
    client.all<Item>("/customer-groups"),
    client.all<Item>("/vat-zones"),
    client.all<Item>("/product-groups"),
    client.page<Item>("/products").then((p) => (p.collection ?? []).filter((i) => !i.barred)),
  ]);
  const vat = named(zones, (i) => i.vatZoneNumber!, (i) => i.name);
  const product = named(products, (i) => i.productNumber!, (i) => i.name);
  const data: SettingChoices = {
    layoutNumber: named(layouts, (i) => i.layoutNumber!, (i) => i.name),
    paymentTermsNumber: named(terms, (i) => i.paymentTermsNumber!, (i) => i.name),
    customerGroupNumber: named(groups, (i) => i.customerGroupNumber!, (i) => i.name),
    "vatZones.domestic": vat,
    "vatZones.eu": vat,
    "vatZones.abroad": vat,
    productGroupNumber: named(productGroups, (i) => i.productGroupNumber!, (i) => i.name),
    shippingProductNumber: product,
    roundingProductNumber: product,
  };
  await kept.write(data, new Date().toISOString());
  return data;
}

export const economicAdapter: AccountingAdapter = {
  choices: economicChoices,
  async open(ctx: AccountingContext) {
    const settings = ctx.settings as EconomicSettings;
    const { client, agreement } = await agreementClient(ctx);
    const session = new EconomicSession(
      client,
      settings,
      ctx.store.bindings("economic.customer"),
      ctx.store.cache<MasterSnapshot>(`economic.master:${agreement}`),
    );
    await session.load();
    return session;
  },
};

export class EconomicSession implements AccountingSession {
  private vatZoneNumbers = new Set<number>();
  private accountingYears: AccountingYear[] = [];
  private products = new Set<string>();
  /** True when `products` is the whole catalogue. */
  private catalogueComplete = false;
  /** True when the master data was read from e-conomic in this session (not taken from the kept copy). */
  private masterFresh = false;
  private lookedUp = new Set<string>();
  private customers = new Map<string, number>();
  /** Customers being found or created right now (one per email, so two orders of one buyer never create two). */
  private resolving = new Map<string, Promise<number>>();
  /** Emails looked up in e-conomic in this session without a match: the customer is created without asking again. */
  private absent = new Set<string>();
  /** Emails whose customer number came from the binding table, not from e-conomic in this session. */
  private remembered = new Set<string>();
  /** The agreement's base currency (GET /self), read when an order first needs it. */
  private baseCurrency?: Promise<string | null>;

  constructor(
    private readonly client: EconomicClient,
    private readonly settings: EconomicSettings,
    /** Customers found or created before (email → customer number), kept across batches. */
    private readonly knownCustomers?: Bindings,
    /** Master data kept across batches; without it every session reads its own. */
    private readonly masterCache?: CacheEntry<MasterSnapshot>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Master data: the kept copy while it is younger than MASTER_TTL_MS, else read from e-conomic (and kept). */
  async load() {
    const kept = await this.masterCache?.read().catch(() => undefined);
    const age = kept ? this.now() - Date.parse(kept.loadedAt) : NaN;
    if (kept && age >= 0 && age < MASTER_TTL_MS) {
      this.use(kept.data);
      this.masterFresh = false;
      return;
    }
    await this.reload();
  }

  private async reload() {
    const [zones, years, products] = await Promise.all([
      this.client.all<VatZoneItem>("/vat-zones"),
      this.client.all<AccountingYearItem>("/accounting-years"),
      this.client.page<ProductItem>("/products"),
    ]);
    const snapshot: MasterSnapshot = {
      vatZoneNumbers: zones.map((z) => z.vatZoneNumber),
      accountingYears: years.map((y) => ({ year: y.year, fromDate: y.fromDate, toDate: y.toDate, closed: y.closed === true })),
      products: (products.collection ?? []).map((p) => p.productNumber),
      catalogueComplete: !products.pagination?.nextPage,
    };
    this.products = new Set();
    this.use(snapshot);
    this.masterFresh = true;
    await this.keep();
  }

  private use(m: MasterSnapshot) {
    this.vatZoneNumbers = new Set(m.vatZoneNumbers);
    this.accountingYears = m.accountingYears;
    for (const p of m.products) this.products.add(p);
    this.catalogueComplete = m.catalogueComplete;
  }

  /** Writes the session's master data as the kept copy (after a fresh read, or after products were created). */
  private async keep() {
    if (!this.masterCache) return;
    const snapshot: MasterSnapshot = {
      vatZoneNumbers: [...this.vatZoneNumbers],
      accountingYears: this.accountingYears,
      // A larger catalogue keeps only its first page plus what was created; looked-up numbers stay in the session.
      products: this.catalogueComplete ? [...this.products] : [...this.products].filter((n) => !this.lookedUp.has(n)),
      catalogueComplete: this.catalogueComplete,
    };
    // The kept copy is an optimisation: failing to write it never fails a transfer.
    await this.masterCache.write(snapshot, new Date(this.now()).toISOString()).catch(() => undefined);
  }

  calls() {
    return this.client.calls();
  }

  private master(): MasterData {
    return { accountingYears: this.accountingYears, productNumbers: this.products };
  }

  /** The VAT zone set for the order's treatment, when the agreement has it (e-conomic's target of a VAT treatment). */
  private readonly vatZone = (treatment: VatTreatment): number | TransferError => {
    const zone = this.settings.vatZones[treatment];
    return this.vatZoneNumbers.has(zone) ? zone : new TransferError("vat_setup_missing", `The VAT zone ${zone} set for ${treatment} orders does not exist in the accounting system.`);
  };

  private checkOptions(): CheckOptions {
    return { shippingProductNumber: this.settings.shippingProductNumber, autoCreateProducts: this.settings.autoCreateProducts, vatTarget: this.vatZone };
  }

  /** Makes `products` know every product number in the list (one filtered GET per chunk of unknown ones). */
  private async resolveProducts(numbers: string[]) {
    if (this.catalogueComplete) return;
    const unknown = numbers.filter((n) => !this.products.has(n) && !this.lookedUp.has(n));
    for (let i = 0; i < unknown.length; i += LOOKUP_CHUNK) {
      const chunk = unknown.slice(i, i + LOOKUP_CHUNK);
      const filter = chunk.map((n) => `productNumber$eq:${filterValue(n)}`).join("$or:");
      // String filters are case-insensitive: only exact product numbers count.
      for (const p of await this.client.all<ProductItem>("/products", { filter })) if (chunk.includes(p.productNumber)) this.products.add(p.productNumber);
      for (const n of chunk) this.lookedUp.add(n);
    }
  }

  async check(order: CanonicalOrder) {
    await this.resolveProducts(productNumbersOf(order, this.settings.shippingProductNumber));
    const problem = checkOrder(order, this.master(), this.checkOptions());
    if (!problem || this.masterFresh || !MASTER_DEPENDENT.has(problem.category)) return problem;
    // Found on the kept copy: the merchant may have fixed it in e-conomic since. Read again, check again.
    await this.reload();
    await this.resolveProducts(productNumbersOf(order, this.settings.shippingProductNumber));
    return checkOrder(order, this.master(), this.checkOptions());
  }

  /**
   * Reads ahead for the orders of a batch: their unknown product numbers (large catalogues) and their
   * customers, bound ones from the binding table in one statement, the others from e-conomic in one
   * filtered GET per MAX_FILTER_CHARS of emails. Found customers are bound; the rest are created later
   * without another look-up.
   */
  async prefetch(orders: CanonicalOrder[]) {
    await this.resolveProducts([...new Set(orders.flatMap((o) => productNumbersOf(o, this.settings.shippingProductNumber)))]);
    const keys = [...new Set(orders.filter((o) => !this.collectiveFor(o)).map((o) => emailKey(o)).filter((k) => k !== ""))].filter(
      (k) => !this.customers.has(k) && !this.absent.has(k) && !this.resolving.has(k),
    );
    if (keys.length === 0) return;
    const bound = (await this.knownCustomers?.getMany(keys)) ?? new Map<string, string>();
    const unbound: string[] = [];
    for (const k of keys) {
      const n = Number(bound.get(k) ?? NaN);
      if (Number.isInteger(n)) {
        this.customers.set(k, n);
        this.remembered.add(k);
      } else unbound.push(k);
    }
    for (const chunk of emailChunks(unbound)) {
      const found = await this.findCustomers(chunk);
      for (const k of chunk) {
        const n = found.get(k);
        if (n === undefined) this.absent.add(k);
        else {
          this.customers.set(k, n);
          await this.knownCustomers?.put(k, String(n));
        }
      }
    }
  }

  /** The customers with these emails (lower-cased, trimmed) in one filtered GET: email → the first customer number. */
  private async findCustomers(keys: string[]) {
    const filter = keys.map((k) => `email$eq:${filterValue(k)}`).join("$or:");
    const items = await this.client.all<CustomerItem>("/customers", { filter });
    const found = new Map<string, number>();
    // e-conomic compares strings case-insensitively: only an email equal to ours (ignoring case and the
    // spaces around it) counts, and of several customers with it the first in e-conomic's order.
    const wanted = new Set(keys);
    for (const c of items) {
      const k = c.email?.trim().toLowerCase();
      if (k && wanted.has(k) && !found.has(k)) found.set(k, c.customerNumber);
    }
    return found;
  }

  /**
   * Our reference is in `references.other`, a filterable property of both GET /invoices/drafts and
   * GET /invoices/booked (slate schema "Filterable properties"); a booked invoice keeps the draft's
   * references. The filter is case-insensitive, so the match is confirmed exactly here.
   */
  async findDocument(reference: string): Promise<DocumentRef | null> {
    const text = referenceText(reference);
    const filter = `references.other$eq:${filterValue(text)}`;
    const kinds = this.settings.documentType === "booked" ? (["booked", "draft"] as const) : (["draft", "booked"] as const);
    for (const type of kinds) {
      const items = await this.client.all<InvoiceItem>(type === "draft" ? "/invoices/drafts" : "/invoices/booked", { filter });
      const hit = items.find((i) => i.references?.other === text);
      const number = hit && (type === "draft" ? hit.draftInvoiceNumber : hit.bookedInvoiceNumber);
      if (number !== undefined && number !== null) return { type, number: String(number) };
    }
    return null;
  }

  async createDocument(order: CanonicalOrder, reference: string) {
    const { body, totals, created } = await this.withCustomer(order, reference, (body) =>
      this.client.post<{ draftInvoiceNumber: number }>("/invoices/drafts", body),
    );
    const draft: DocumentRef = { type: "draft", number: String(created.draftInvoiceNumber) };
    return this.finish(draft, body, totals.error, ` It was created as draft ${draft.number} and not booked.`);
  }

  /** A draft just written: booked when documents are booked, unless its totals do not match (then it is left for the merchant to correct). */
  private finish(draft: DocumentRef, body: unknown, totalsError: TransferError | null, note: string) {
    if (totalsError) throw withDocument(totalsError, draft, body, note);
    if (this.settings.documentType !== "booked") return Promise.resolve({ document: draft, sent: body });
    return this.book(draft, body);
  }

  async completeDocument(document: DocumentRef, order: CanonicalOrder, reference: string) {
    if (document.type === "booked") return { document, sent: undefined };
    const updated = await this.updateDraft(document, order, reference);
    return this.settings.documentType === "booked" ? this.book(document, updated.sent) : updated;
  }

  /** Credit notes carry our reference in `references.other` as invoices do. */
  findCreditNote(reference: string) {
    return this.findDocument(reference);
  }

  /** R20: a draft invoice with the refund's lines negated, booked when documents are booked. */
  async createCreditNote(input: CreditNoteInput) {
    const { body, totals } = await this.prepareCreditNote(input);
    const created = await this.client.post<{ draftInvoiceNumber: number }>("/invoices/drafts", body);
    const draft: DocumentRef = { type: "draft", number: String(created.draftInvoiceNumber) };
    return this.finish(draft, body, totals.error, ` It was created as draft ${draft.number} and not booked.`);
  }

  /** A credit-note draft left by an earlier attempt is written again, then booked when documents are booked. */
  async completeCreditNote(document: DocumentRef, input: CreditNoteInput) {
    if (document.type === "booked") return { document, sent: undefined };
    const { body, totals } = await this.prepareCreditNote(input);
    const sent = { ...body, draftInvoiceNumber: Number(document.number) };
    await this.putDraft(document, sent);
    return this.finish(document, sent, totals.error, ` Draft ${document.number} was updated.`);
  }

  /**
   * The credit note for the invoice as it was sent (its customer, recipient and VAT zone, currency and
   * exchange rate), or as e-conomic holds it when that record is incomplete; dated the refund's day,
   * which must lie in an open accounting year.
   */
  private async prepareCreditNote(input: CreditNoteInput) {
    const closed = fiscalYearError(copenhagenDate(input.refund.createdAt), this.accountingYears);
    if (closed) throw closed;
    const decision = vatTreatment(input.order);
    if (decision.error) throw decision.error;
    const sent = input.invoiceSent as Partial<EconomicDraftInvoice> | null;
    const invoice =
      sent?.customer?.customerNumber !== undefined && sent.recipient?.vatZone && sent.layout && sent.paymentTerms && sent.currency
        ? (sent as EconomicDraftInvoice)
        : await this.client.get<EconomicDraftInvoice>(`/invoices/${input.invoice.type === "booked" ? "booked" : "drafts"}/${encodeURIComponent(input.invoice.number)}`);
    return buildCreditNote(input, invoice, decision.treatment, this.settings);
  }

  private async book(draft: DocumentRef, body: unknown) {
    try {
      const booked = await this.client.post<{ bookedInvoiceNumber: number }>("/invoices/booked", {
        draftInvoice: { draftInvoiceNumber: Number(draft.number) },
      });
      return { document: { type: "booked" as const, number: String(booked.bookedInvoiceNumber) }, sent: body };
    } catch (e) {
      // "draftInvoice does not exist": booked by an attempt whose answer was lost, or deleted.
      if (e instanceof TransferError && e.category === "accounting_rejected" && (e.details?.errors as Record<string, unknown> | undefined)?.draftInvoice)
        throw new DocumentGone(draft, "e-conomic");
      if (e instanceof TransferError) throw withDocument(e, draft, body, ` Draft ${draft.number} was created but not booked.`);
      throw e;
    }
  }

  async updateDraft(document: DocumentRef, order: CanonicalOrder, reference: string) {
    if (document.type !== "draft")
      throw new TransferError("accounting_rejected", `Invoice ${document.number} is booked; a booked invoice cannot be changed.`);
    const { body, totals } = await this.withCustomer(order, reference, (body) => this.putDraft(document, { ...body, draftInvoiceNumber: Number(document.number) }));
    const sent = { ...body, draftInvoiceNumber: Number(document.number) };
    if (totals.error) throw withDocument(totals.error, document, sent, ` Draft ${document.number} was updated.`);
    return { document, sent };
  }

  private putDraft(document: DocumentRef, body: EconomicDraftInvoice) {
    return this.client.put(`/invoices/drafts/${encodeURIComponent(document.number)}`, body).catch((e) => {
      // A draft disappears once it is booked: the caller looks our reference up instead.
      if (e instanceof TransferError && e.details?.httpStatusCode === 404) throw new DocumentGone(document, "e-conomic");
      throw e;
    });
  }

  /**
   * Builds the invoice and sends it. A customer number remembered from an earlier batch may point to a
   * customer deleted in e-conomic since: then it is forgotten, looked up by email (or created) and the
   * invoice sent once more. The collective debtor refused is said as such (the merchant fixes the setting).
   */
  private async withCustomer<R>(order: CanonicalOrder, reference: string, send: (body: EconomicDraftInvoice) => Promise<R>) {
    let prepared = await this.prepare(order, reference);
    try {
      return { ...prepared, created: await send(prepared.body) };
    } catch (e) {
      if (!(e instanceof TransferError) || e.category !== "accounting_rejected") throw e;
      const customerRefused = !!(e.details?.errors as Record<string, unknown> | undefined)?.customer;
      if (!customerRefused) {
        // A refused invoice may come from master data kept while it changed in e-conomic: the next batch reads it again.
        if (!this.masterFresh) await this.masterCache?.clear().catch(() => undefined);
        throw e;
      }
      const collective = this.collectiveFor(order);
      if (collective !== undefined)
        throw new TransferError("accounting_rejected", `e-conomic refused the collective customer ${collective} (collectiveCustomerNumber): ${e.message}`, {
          hint: `Create customer ${collective} in e-conomic, or enter the number of your collective customer in the settings, then transfer again.`,
          details: e.details,
        });
      const key = emailKey(order);
      if (!this.remembered.has(key)) throw e;
      this.remembered.delete(key);
      this.customers.delete(key);
      await this.knownCustomers?.forget(key);
      prepared = await this.prepare(order, reference);
      return { ...prepared, created: await send(prepared.body) };
    }
  }

  /** Checks the order, creates what is missing (products when allowed, the customer) and builds the invoice. */
  private async prepare(order: CanonicalOrder, reference: string) {
    const problem = await this.check(order);
    if (problem) throw problem;
    const zone = vatTargetOf(order, this.vatZone);
    if (zone.error) throw zone.error;
    if (this.settings.autoCreateProducts) await this.createMissingProducts(order);
    const customerNumber = this.collectiveFor(order) ?? (await this.customerFor(order, zone.target));
    const exchangeRate = await this.exchangeRateFor(order);
    return buildDraftInvoice({ order, settings: this.settings, customerNumber, vatZoneNumber: zone.target, treatment: zone.treatment, reference, exchangeRate });
  }

  /**
   * R24: the rate the shop's two totals imply, when the document currency is not the agreement's base
   * currency and the shop stated the order's total in the base currency too; otherwise none (e-conomic
   * then uses its daily rate). The base currency (GET /self) is read only for such orders, once a session.
   */
  private async exchangeRateFor(order: CanonicalOrder): Promise<string | null> {
    const other = order.otherTotal;
    if (!other || other.currency === order.currency) return null;
    this.baseCurrency ??= this.client.get<{ settings?: { baseCurrency?: string } }>("/self").then((s) => s.settings?.baseCurrency?.toUpperCase() ?? null);
    const base = await this.baseCurrency;
    if (base !== other.currency || base === order.currency) return null;
    return impliedExchangeRate({ gross: order.totals.gross, decimals: decimalsOf(order.currency) }, { gross: other.gross, decimals: decimalsOf(other.currency) });
  }

  /** The collective debtor when the order goes to it (collective mode, a buyer with no company name and no VAT number). */
  private collectiveFor(order: CanonicalOrder): number | undefined {
    if (this.settings.customerMode !== "collective" || this.settings.collectiveCustomerNumber === undefined) return undefined;
    const c = order.customer;
    return c.company?.trim() || c.vatNumber?.trim() ? undefined : this.settings.collectiveCustomerNumber;
  }

  private async createMissingProducts(order: CanonicalOrder) {
    const shipping = this.settings.shippingProductNumber;
    let created = false;
    for (const number of productNumbersOf(order, shipping)) {
      if (this.products.has(number)) continue;
      const line = order.lines.find((l) => l.sku === number);
      const product: Record<string, unknown> = {
        productNumber: number,
        name: (line?.description || (number === shipping ? "Shipping" : number)).slice(0, 300),
        productGroup: { productGroupNumber: this.settings.productGroupNumber },
      };
      // The product's list price, in e-conomic's two decimals (it is not on the invoice: the lines carry the price).
      if (line) product.salesPrice = formatMinor(representable(line.unitPriceNet, decimalsOf(order.currency), ECONOMIC_DECIMALS).minor, decimalsOf(order.currency));
      try {
        await this.client.post("/products", product);
        created = true;
      } catch (e) {
        // Created meanwhile by another batch (whose copy of the catalogue is newer): it exists, so go on.
        if (!(e instanceof TransferError && e.category === "accounting_rejected")) throw e;
        const existing = await this.client.all<ProductItem>("/products", { filter: `productNumber$eq:${filterValue(number)}` });
        if (!existing.some((p) => p.productNumber === number)) throw e;
      }
      this.products.add(number);
    }
    if (created && this.catalogueComplete) await this.keep();
  }

  /** The customer with the order's email (remembered in the binding table), or a new one; one at a time per email. */
  private customerFor(order: CanonicalOrder, vatZoneNumber: number): Promise<number> {
    const key = emailKey(order);
    const inSession = this.customers.get(key);
    if (inSession !== undefined) return Promise.resolve(inSession);
    let pending = this.resolving.get(key);
    if (!pending) {
      pending = this.resolveCustomer(order, key, vatZoneNumber).finally(() => this.resolving.delete(key));
      this.resolving.set(key, pending);
    }
    return pending;
  }

  private async resolveCustomer(order: CanonicalOrder, key: string, vatZoneNumber: number): Promise<number> {
    const c = order.customer;
    const email = c.email!.trim();
    const known = Number((await this.knownCustomers?.get(key)) ?? NaN);
    if (Number.isInteger(known)) {
      this.customers.set(key, known);
      this.remembered.add(key);
      return known;
    }
    let number = this.absent.has(key) ? undefined : (await this.findCustomers([key])).get(key);
    if (number === undefined) {
      const body: Record<string, unknown> = {
        currency: order.currency,
        customerGroup: { customerGroupNumber: this.settings.customerGroupNumber },
        name: (c.company?.trim() || c.name?.trim() || email).slice(0, 255),
        paymentTerms: { paymentTermsNumber: this.settings.paymentTermsNumber },
        vatZone: { vatZoneNumber },
        email: email.slice(0, 255),
      };
      if (c.address) body.address = c.address.slice(0, 510);
      if (c.zip) body.zip = c.zip.slice(0, 30);
      if (c.city) body.city = c.city.slice(0, 50);
      if (c.countryCode) body.country = countryName(c.countryCode).slice(0, 50);
      number = (await this.client.post<CustomerItem>("/customers", body)).customerNumber;
    }
    this.absent.delete(key);
    this.customers.set(key, number);
    await this.knownCustomers?.put(key, String(number));
    return number;
  }
}

/** The order's email as the binding table keys it (trimmed, lower-cased; e-conomic compares emails ignoring case). */
const emailKey = (order: CanonicalOrder) => order.customer.email?.trim().toLowerCase() ?? "";

/** Emails in groups whose `email$eq:…$or:…` filter, URL-encoded, stays within MAX_FILTER_CHARS. */
export function emailChunks(keys: string[], maxChars = MAX_FILTER_CHARS): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const k of keys) {
    const part = encodeURIComponent(`email$eq:${filterValue(k)}`).length;
    const sep = current.length ? encodeURIComponent("$or:").length : 0;
    if (current.length && length + sep + part > maxChars) {
      chunks.push(current);
      current = [];
      length = 0;
    }
    length += (current.length ? sep : 0) + part;
    current.push(k);
  }
  if (current.length) chunks.push(current);
  return chunks;
}

