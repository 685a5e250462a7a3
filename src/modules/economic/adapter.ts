/**
 * The e-conomic accounting module: an order becomes a draft (or booked) invoice.
 *
 * Master data is loaded once per session (one queue batch): VAT zones, accounting years and the first
 * page (1,000) of products, three GETs in parallel. For a catalogue of up to 1,000 products that page is
 * the whole catalogue, so checking an order costs no call at all; paging through it all would cost one
 * call per 1,000 products per batch, and a GET /products/{number} per SKU would cost one call per
 * distinct SKU. Only for a larger catalogue are the order's unknown product numbers looked up, in one
 * filtered GET per order (`productNumber$eq:A$or:productNumber$eq:B`), and remembered for the session.
 *
 * Per order after that: GET /customers by email (once per email and integration: remembered in the
 * binding table), POST /customers when the
 * customer is new, POST /invoices/drafts, and POST /invoices/booked when documents are booked.
 */
import { bindingStore, type Bindings } from "../../integrations/bindings";
import { checkOrder, productNumbersOf, vatZoneOf, type AccountingYear, type MasterData } from "../../domain/checks";
import { DocumentGone, TransferError } from "../../domain/errors";
import { decimalsOf } from "../../domain/currency";
import { formatMinor, impliedExchangeRate, representable } from "../../domain/money";
import type { CanonicalOrder, DocumentRef } from "../../domain/order";
import type { AccountingAdapter, AccountingContext, AccountingSession } from "../types";
import { EconomicClient, filterValue } from "./client";
import { buildDraftInvoice, countryName, ECONOMIC_DECIMALS, referenceText, type EconomicDraftInvoice } from "./invoice";
import { sharedBudget } from "../../lib/rate-limiter";
import { ECONOMIC_LIMITS } from "../../domain/token-bucket";
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

export const economicAdapter: AccountingAdapter = {
  async open(ctx: AccountingContext) {
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
    const session = new EconomicSession(client, settings, bindingStore(ctx.db, ctx.integrationId, "economic.customer"));
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
  private lookedUp = new Set<string>();
  private customers = new Map<string, number>();
  /** Emails whose customer number came from the binding table, not from e-conomic in this session. */
  private remembered = new Set<string>();
  /** The agreement's base currency (GET /self), read when an order first needs it. */
  private baseCurrency?: Promise<string | null>;

  constructor(
    private readonly client: EconomicClient,
    private readonly settings: EconomicSettings,
    /** Customers found or created before (email → customer number), kept across batches. */
    private readonly knownCustomers?: Bindings,
  ) {}

  async load() {
    const [zones, years, products] = await Promise.all([
      this.client.all<VatZoneItem>("/vat-zones"),
      this.client.all<AccountingYearItem>("/accounting-years"),
      this.client.page<ProductItem>("/products"),
    ]);
    this.vatZoneNumbers = new Set(zones.map((z) => z.vatZoneNumber));
    this.accountingYears = years.map((y) => ({ year: y.year, fromDate: y.fromDate, toDate: y.toDate, closed: y.closed === true }));
    for (const p of products.collection ?? []) this.products.add(p.productNumber);
    this.catalogueComplete = !products.pagination?.nextPage;
  }

  calls() {
    return this.client.calls();
  }

  private master(): MasterData {
    return { vatZoneNumbers: this.vatZoneNumbers, accountingYears: this.accountingYears, productNumbers: this.products };
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
    return checkOrder(order, this.master(), this.settings);
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
    // Totals that do not match are never booked: the draft is left for the merchant to correct.
    if (totals.error) throw withDocument(totals.error, draft, body, ` It was created as draft ${draft.number} and not booked.`);
    if (this.settings.documentType !== "booked") return { document: draft, sent: body };
    return this.book(draft, body);
  }

  async completeDocument(document: DocumentRef, order: CanonicalOrder, reference: string) {
    if (document.type === "booked") return { document, sent: undefined };
    const updated = await this.updateDraft(document, order, reference);
    return this.settings.documentType === "booked" ? this.book(document, updated.sent) : updated;
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
    const { body, totals } = await this.withCustomer(order, reference, (body) =>
      this.client.put(`/invoices/drafts/${encodeURIComponent(document.number)}`, { ...body, draftInvoiceNumber: Number(document.number) }).catch((e) => {
        // A draft disappears once it is booked: the caller looks our reference up instead.
        if (e instanceof TransferError && e.details?.httpStatusCode === 404) throw new DocumentGone(document, "e-conomic");
        throw e;
      }),
    );
    const sent = { ...body, draftInvoiceNumber: Number(document.number) };
    if (totals.error) throw withDocument(totals.error, document, sent, ` Draft ${document.number} was updated.`);
    return { document, sent };
  }

  /**
   * Builds the invoice and sends it. A customer number remembered from an earlier batch may point to a
   * customer deleted in e-conomic since: then it is forgotten, looked up by email (or created) and the
   * invoice sent once more.
   */
  private async withCustomer<R>(order: CanonicalOrder, reference: string, send: (body: EconomicDraftInvoice) => Promise<R>) {
    let prepared = await this.prepare(order, reference);
    try {
      return { ...prepared, created: await send(prepared.body) };
    } catch (e) {
      const key = order.customer.email?.trim().toLowerCase() ?? "";
      const customerRefused = e instanceof TransferError && e.category === "accounting_rejected" && !!(e.details?.errors as Record<string, unknown> | undefined)?.customer;
      if (!customerRefused || !this.remembered.has(key)) throw e;
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
    const zone = vatZoneOf(order, this.master(), this.settings.vatZones);
    if (zone.error) throw zone.error;
    if (this.settings.autoCreateProducts) await this.createMissingProducts(order);
    const customerNumber = await this.customerFor(order, zone.vatZoneNumber);
    const exchangeRate = await this.exchangeRateFor(order);
    return buildDraftInvoice({ order, settings: this.settings, customerNumber, vatZoneNumber: zone.vatZoneNumber, treatment: zone.treatment, reference, exchangeRate });
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

  private async createMissingProducts(order: CanonicalOrder) {
    const shipping = this.settings.shippingProductNumber;
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
      await this.client.post("/products", product);
      this.products.add(number);
    }
  }

  /** The customer with the order's email (remembered in the binding table), or a new one. */
  private async customerFor(order: CanonicalOrder, vatZoneNumber: number): Promise<number> {
    const c = order.customer;
    const email = c.email!.trim();
    const key = email.toLowerCase();
    const inSession = this.customers.get(key);
    if (inSession !== undefined) return inSession;
    const known = Number((await this.knownCustomers?.get(key)) ?? NaN);
    if (!Number.isNaN(known)) {
      this.customers.set(key, known);
      this.remembered.add(key);
      return known;
    }
    const found = await this.client.get<{ collection: CustomerItem[] }>("/customers", { filter: `email$eq:${filterValue(email)}`, pagesize: 20 });
    let number = found.collection?.find((x) => x.email?.trim().toLowerCase() === key)?.customerNumber;
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
    this.customers.set(key, number);
    await this.knownCustomers?.put(key, String(number));
    return number;
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
