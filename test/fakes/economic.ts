/**
 * A fake e-conomic REST API as a FetchFn, built from the public docs (e-conomic/slate `_introduction.md`,
 * `_invoices.md`, `_customers.md`, `_products.md`, `_accounting-years.md`, `_vat-zones.md`) and the
 * captured answers in /work/shared/fixtures/economic: both token headers, required fields, annotated
 * 400 errors, filters on the documented filterable properties only, paging (skippages/pagesize ≤ 1000),
 * and programmable failures. State is public for assertions.
 */
import { currencyDecimals } from "../../src/domain/currency";
import type { FetchFn } from "../../src/lib/outbound";

export interface FakeAccountingYear {
  year: string;
  fromDate: string;
  toDate: string;
  closed?: boolean;
}

export interface FakeProduct {
  productNumber: string;
  name: string;
  salesPrice?: number;
  productGroup?: { productGroupNumber: number };
}

export interface FakeCustomer {
  customerNumber: number;
  name: string;
  email?: string;
  currency: string;
  vatZone: { vatZoneNumber: number };
  [k: string]: unknown;
}

export interface FakeInvoice {
  draftInvoiceNumber?: number;
  bookedInvoiceNumber?: number;
  date: string;
  currency: string;
  customer: { customerNumber: number };
  recipient: { name: string; vatZone: { vatZoneNumber: number }; [k: string]: unknown };
  references?: { other?: string };
  notes?: { heading?: string };
  lines: { product?: { productNumber: string }; quantity?: number; unitNetPrice?: number; discountPercentage?: number; description?: string; totalNetAmount?: number }[];
  netAmount: number;
  vatAmount: number;
  grossAmount: number;
  [k: string]: unknown;
}

export interface LoggedRequest {
  /** When it arrived (ms since the epoch). */
  at: number;
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

export interface FakeEconomicOptions {
  appSecretToken?: string;
  agreementGrantToken?: string;
  origin?: string;
  accountingYears?: FakeAccountingYear[];
  products?: FakeProduct[];
  /** Product groups whose sales account has no VAT (the rounding product's group). Default [2]. */
  vatFreeProductGroups?: number[];
  customers?: Omit<FakeCustomer, "customerNumber">[];
  /** The agreement's base currency (GET /self `settings.baseCurrency`). Default DKK. */
  baseCurrency?: string;
  /**
   * The agreement's rate limit (reference.md: a token bucket of 2,000 requests refilled at 30/s, 429 when
   * empty). Default on; null turns it off.
   */
  rateLimit?: { capacity: number; refillPerSecond: number } | null;
}

/** Filterable properties per collection (slate schemas, "Filterable properties"). */
const FILTERABLE: Record<string, string[]> = {
  "/customers": ["address", "balance", "barred", "city", "corporateIdentificationNumber", "country", "creditLimit", "currency", "customerNumber", "ean", "email", "lastUpdated", "name", "publicEntryNumber", "telephoneAndFaxNumber", "vatNumber", "website", "zip"],
  "/products": ["barCode", "barred", "costPrice", "description", "lastUpdated", "name", "productGroup.productGroupNumber", "productNumber", "recommendedPrice", "salesPrice", "unit.unitNumber"],
  "/invoices/drafts": ["currency", "customer.customerNumber", "date", "draftInvoiceNumber", "exchangeRate", "notes.heading", "notes.textLine1", "notes.textLine2", "paymentTerms.paymentTermsNumber", "recipient.address", "recipient.city", "recipient.country", "recipient.name", "recipient.zip", "references.other", "soap.currentInvoiceHandle.id"],
  "/invoices/booked": ["bookedInvoiceNumber", "currency", "customer.customerNumber", "date", "notes.heading", "paymentTerms.paymentTermsNumber", "recipient.address", "recipient.city", "recipient.country", "recipient.name", "recipient.vatZone.vatZoneNumber", "recipient.zip", "references.other"],
  "/accounting-years": ["closed", "fromDate", "toDate", "year"],
  "/vat-zones": [],
  "/layouts": ["deleted", "layoutNumber", "name"],
  "/payment-terms": ["daysOfCredit", "name", "paymentTermsNumber", "paymentTermsType"],
  "/customer-groups": ["customerGroupNumber", "name"],
  "/product-groups": ["name", "productGroupNumber"],
};

/** Numeric filterable properties: the only ones `$in:` / `$nin:` accept ("We only allow in and not in operators on numeric properties"). */
const NUMERIC = new Set(["balance", "creditLimit", "customerNumber", "costPrice", "recommendedPrice", "salesPrice", "productGroup.productGroupNumber", "unit.unitNumber", "draftInvoiceNumber", "bookedInvoiceNumber", "customer.customerNumber", "exchangeRate", "paymentTerms.paymentTermsNumber", "recipient.vatZone.vatZoneNumber"]);

/**
 * Longest query string the fake accepts (answered 414 beyond). e-conomic documents no limit; this is IIS's
 * default maxQueryString (2,048), an assumption, so a client that builds unbounded filters is caught.
 */
export const MAX_QUERY_STRING = 2048;

/** An agreement's standard master data as a new e-conomic agreement has it (Danish names). */
const LAYOUTS = [{ layoutNumber: 19, name: "Standardlayout", deleted: false }, { layoutNumber: 21, name: "Layout med logo", deleted: false }];
const PAYMENT_TERMS = [
  { paymentTermsNumber: 1, name: "Netto 8 dage", daysOfCredit: 8, paymentTermsType: "net" },
  { paymentTermsNumber: 2, name: "Løbende måned + 30 dage", daysOfCredit: 30, paymentTermsType: "invoiceMonth" },
];
const CUSTOMER_GROUPS = [{ customerGroupNumber: 1, name: "Indenlandske kunder" }, { customerGroupNumber: 2, name: "Udenlandske kunder" }];
const PRODUCT_GROUPS = [{ productGroupNumber: 1, name: "Varer m/moms" }, { productGroupNumber: 2, name: "Varer u/moms" }];

const VAT_ZONES = [
  { name: "Domestic", vatZoneNumber: 1, enabledForCustomer: true, enabledForSupplier: true },
  { name: "EU", vatZoneNumber: 2, enabledForCustomer: true, enabledForSupplier: true },
  { name: "Abroad", vatZoneNumber: 3, enabledForCustomer: true, enabledForSupplier: true },
  { name: "Domestic exempt VAT", vatZoneNumber: 4, enabledForCustomer: true },
];

class HttpError {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {}
}

type FieldErrors = Record<string, unknown>;

export class FakeEconomic {
  readonly origin: string;
  readonly appSecretToken: string;
  /** The installed app's grant token; `reinstall` revokes it (the app deleted) and issues the next one. */
  agreementGrantToken: string;
  accountingYears: FakeAccountingYear[];
  products = new Map<string, FakeProduct>();
  customers: FakeCustomer[] = [];
  drafts = new Map<number, FakeInvoice>();
  booked = new Map<number, FakeInvoice>();
  log: LoggedRequest[] = [];
  vatFreeProductGroups: number[];
  baseCurrency: string;
  private nextDraft = 1;
  private nextBooked = 10001;
  private failures: { status: number; retryAfter?: string }[] = [];
  private lostAnswers: { method: string; path: RegExp; how: "503" | "drop" }[] = [];
  private hang = false;
  private readonly rateLimit: { capacity: number; refillPerSecond: number } | null;
  private bucket: { tokens: number; at: number } | null = null;
  /** Requests refused with 429 because the agreement's bucket was empty. */
  rateLimited = 0;

  /** The agreement's tokens left now (the bucket refilled to this moment). */
  tokensLeft(now = Date.now()) {
    if (!this.rateLimit) return Infinity;
    const b = this.bucket ?? { tokens: this.rateLimit.capacity, at: now };
    return Math.min(this.rateLimit.capacity, b.tokens + ((now - b.at) / 1000) * this.rateLimit.refillPerSecond);
  }

  constructor(opts: FakeEconomicOptions = {}) {
    this.rateLimit = opts.rateLimit === undefined ? { capacity: 2000, refillPerSecond: 30 } : opts.rateLimit;
    this.origin = opts.origin ?? "https://economic.fake";
    this.appSecretToken = opts.appSecretToken ?? "test-app-secret";
    this.agreementGrantToken = opts.agreementGrantToken ?? "grant-secret-value";
    this.accountingYears = opts.accountingYears ?? [
      { year: "2024", fromDate: "2024-01-01", toDate: "2024-12-31", closed: true },
      { year: "2025", fromDate: "2025-01-01", toDate: "2025-12-31" },
      { year: "2026", fromDate: "2026-01-01", toDate: "2026-12-31" },
    ];
    this.vatFreeProductGroups = opts.vatFreeProductGroups ?? [2];
    this.baseCurrency = opts.baseCurrency ?? "DKK";
    const goods = { productGroupNumber: 1 };
    for (const p of opts.products ?? [
      { productNumber: "SKU-1", name: "T-shirt", salesPrice: 100, productGroup: goods },
      { productNumber: "SKU-2", name: "Mug", salesPrice: 79, productGroup: goods },
      { productNumber: "SHIP", name: "Shipping", salesPrice: 39, productGroup: goods },
      { productNumber: "ROUND", name: "Rounding", salesPrice: 0, productGroup: { productGroupNumber: 2 } },
    ])
      this.products.set(p.productNumber, p);
    for (const c of opts.customers ?? []) this.customers.push({ ...c, customerNumber: this.customers.length + 1 } as FakeCustomer);
  }

  /** The next n requests answer `status` (429, 500, 503 …), with Retry-After when given. */
  failNext(n: number, opts: { status: number; retryAfter?: number | string }) {
    for (let i = 0; i < n; i++) this.failures.push({ status: opts.status, retryAfter: opts.retryAfter === undefined ? undefined : String(opts.retryAfter) });
  }

  /** The next POST /invoices/drafts creates the draft, then the connection dies before the answer. */
  dropResponseAfterCreate() {
    this.loseAnswer("POST", /^\/invoices\/drafts$/, "drop");
  }

  /**
   * The next successful request matching method and path takes effect (the draft is created, updated or
   * booked), then its answer is lost: a 503 (a proxy's time-out) or a dropped connection.
   */
  loseAnswer(method: string, path: RegExp, how: "503" | "drop") {
    this.lostAnswers.push({ method, path, how });
  }

  /** The next request never answers (until the caller's signal aborts). */
  hangNext() {
    this.hang = true;
  }

  /** Drafts and booked invoices with a negative gross amount: e-conomic prints and books them as credit notes. */
  creditNotes() {
    return [...this.drafts.values(), ...this.booked.values()].filter((i) => i.grossAmount < 0);
  }

  requests(method?: string, path?: string) {
    return this.log.filter((r) => (!method || r.method === method) && (!path || r.path === path));
  }

  /** Requests that change something (POST/PUT/DELETE). */
  writes() {
    return this.log.filter((r) => r.method !== "GET");
  }

  readonly fetch: FetchFn = async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const text = req.method === "GET" ? "" : await req.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const now = Date.now();
    this.log.push({ at: now, method: req.method, path: url.pathname, query: url.searchParams, body });
    if (this.rateLimit) {
      const { capacity, refillPerSecond } = this.rateLimit;
      const b = this.bucket ?? { tokens: capacity, at: now };
      b.tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * refillPerSecond);
      b.at = now;
      this.bucket = b;
      if (b.tokens < 1) {
        this.rateLimited++;
        return new Response(JSON.stringify(errorBody(429, "Too many requests.")), {
          status: 429,
          headers: { "content-type": "application/json", "retry-after": String(Math.ceil((1 - b.tokens) / refillPerSecond)) },
        });
      }
      b.tokens -= 1;
    }

    if (this.hang) {
      this.hang = false;
      return new Promise<Response>((_, reject) => {
        const signal = init?.signal ?? req.signal;
        signal?.addEventListener("abort", () => reject(signal.reason ?? new DOMException("aborted", "AbortError")));
      });
    }
    const failure = this.failures.shift();
    if (failure) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (failure.retryAfter) headers["retry-after"] = failure.retryAfter;
      const message = failure.status === 429 ? "Too many requests." : "An unexpected error occurred.";
      return new Response(JSON.stringify(errorBody(failure.status, message)), { status: failure.status, headers });
    }

    try {
      if (url.origin !== this.origin) throw new HttpError(404, errorBody(404, "Resource not found."));
      if (req.headers.get("X-AppSecretToken") !== this.appSecretToken || req.headers.get("X-AgreementGrantToken") !== this.agreementGrantToken)
        throw new HttpError(401, {
          ...errorBody(401, "Unauthorized access."),
          developerHint: "Supply both the X-AppSecretToken and the X-AgreementGrantToken headers with valid tokens.",
        });
      if (url.search.length - 1 > MAX_QUERY_STRING) throw new HttpError(414, errorBody(414, "The request URL is too long."));
      if (req.method !== "GET" && !(req.headers.get("Content-Type") ?? "").includes("application/json"))
        throw new HttpError(415, errorBody(415, "Unsupported media type."));
      if (req.method !== "GET" && (body === undefined || typeof body !== "object")) throw new HttpError(400, errorBody(400, "The request body is not valid JSON."));
      const { status, json } = this.route(req.method, url, body as Record<string, unknown>);
      const lost = this.lostAnswers.findIndex((l) => l.method === req.method && l.path.test(url.pathname));
      if (lost >= 0) {
        const [{ how }] = this.lostAnswers.splice(lost, 1);
        if (how === "drop") throw new TypeError("Network connection lost.");
        return new Response(JSON.stringify(errorBody(503, "The service is temporarily unavailable.")), { status: 503, headers: { "content-type": "application/json" } });
      }
      return new Response(JSON.stringify(json), { status, headers: { "content-type": "application/json" } });
    } catch (e) {
      if (e instanceof HttpError) return new Response(JSON.stringify(e.body), { status: e.status, headers: { "content-type": "application/json" } });
      throw e;
    }
  };

  private route(method: string, url: URL, body: Record<string, unknown>): { status: number; json: unknown } {
    const path = url.pathname.replace(/\/+$/, "");
    const segs = path.split("/").filter(Boolean);
    const key = `${method} ${path}`;
    if (key === "GET /self")
      return ok({ agreementNumber: 123456, company: { name: "Demo ApS" }, settings: { baseCurrency: this.baseCurrency, internationalLedger: false } });
    if (key === "GET /vat-zones") return ok(this.collection(url, "/vat-zones", VAT_ZONES));
    if (key === "GET /layouts") return ok(this.collection(url, "/layouts", LAYOUTS));
    if (key === "GET /payment-terms") return ok(this.collection(url, "/payment-terms", PAYMENT_TERMS));
    if (key === "GET /customer-groups") return ok(this.collection(url, "/customer-groups", CUSTOMER_GROUPS));
    if (key === "GET /product-groups") return ok(this.collection(url, "/product-groups", PRODUCT_GROUPS));
    if (key === "GET /accounting-years") return ok(this.collection(url, "/accounting-years", this.accountingYears));
    if (key === "GET /products") return ok(this.collection(url, "/products", [...this.products.values()]));
    if (method === "GET" && segs[0] === "products" && segs.length === 2) {
      const p = this.products.get(decodeSelfLink(segs[1]));
      if (!p) throw new HttpError(404, errorBody(404, "Resource not found."));
      return ok(p);
    }
    if (key === "POST /products") return this.createProduct(body);
    if (key === "GET /customers") return ok(this.collection(url, "/customers", this.customers));
    if (key === "POST /customers") return this.createCustomer(body);
    if (key === "GET /invoices/drafts") return ok(this.collection(url, "/invoices/drafts", [...this.drafts.values()]));
    if (key === "POST /invoices/drafts") {
      const invoice = this.validInvoice(body, true);
      const draft = { ...invoice, draftInvoiceNumber: this.nextDraft++ };
      this.drafts.set(draft.draftInvoiceNumber, draft);
      return { status: 201, json: draft };
    }
    if (segs[0] === "invoices" && segs[1] === "drafts" && segs.length === 3) {
      const n = Number(segs[2]);
      const existing = this.drafts.get(n);
      if (!existing) throw new HttpError(404, errorBody(404, "Resource not found."));
      if (method === "GET") return ok(existing);
      if (method === "PUT") {
        const invoice = this.validInvoice(body, false);
        const draft = { ...invoice, draftInvoiceNumber: n };
        this.drafts.set(n, draft);
        return ok(draft);
      }
    }
    if (key === "GET /invoices/booked") return ok(this.collection(url, "/invoices/booked", [...this.booked.values()]));
    if (key === "POST /invoices/booked") return this.book(body);
    if (method === "GET" && segs[0] === "invoices" && segs[1] === "booked" && segs.length === 3) {
      const b = this.booked.get(Number(segs[2]));
      if (!b) throw new HttpError(404, errorBody(404, "Resource not found."));
      return ok(b);
    }
    throw new HttpError(404, errorBody(404, "Resource not found."));
  }

  private collection(url: URL, name: string, items: object[]) {
    const pageSize = Number(url.searchParams.get("pagesize") ?? 20);
    const skipPages = Number(url.searchParams.get("skippages") ?? 0);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000 || !Number.isInteger(skipPages) || skipPages < 0)
      throw new HttpError(400, errorBody(400, "Invalid paging parameters.", "pagesize must be 1 to 1000 and skippages 0 or more."));
    const filter = url.searchParams.get("filter");
    const matching = filter ? items.filter(compileFilter(filter, FILTERABLE[name] ?? [])) : items;
    const page = matching.slice(skipPages * pageSize, (skipPages + 1) * pageSize);
    const link = (skip: number) => `${this.origin}${name}?skippages=${skip}&pagesize=${pageSize}${filter ? `&filter=${encodeURIComponent(filter)}` : ""}`;
    const last = Math.max(0, Math.ceil(matching.length / pageSize) - 1);
    const pagination: Record<string, unknown> = {
      maxPageSizeAllowed: 1000,
      skipPages,
      pageSize,
      results: matching.length,
      resultsWithoutFilter: items.length,
      firstPage: link(0),
      lastPage: link(last),
    };
    if (skipPages < last) pagination.nextPage = link(skipPages + 1);
    return { collection: page, pagination, self: link(skipPages) };
  }

  private createProduct(body: Record<string, unknown>) {
    const errors = requiredErrors(body, ["name", "productGroup", "productNumber"]);
    const number = body.productNumber;
    if (typeof number === "string" && number.length > 25) errors.productNumber = fieldError("E04740", "productNumber is longer than 25 characters.", number);
    if (typeof number === "string" && this.products.has(number)) errors.productNumber = fieldError("E06010", "productNumber already exists.", number);
    if (Object.keys(errors).length) throw validation(errors);
    const product = body as unknown as FakeProduct;
    this.products.set(product.productNumber, product);
    return { status: 201, json: product };
  }

  private createCustomer(body: Record<string, unknown>) {
    const errors = requiredErrors(body, ["currency", "customerGroup", "name", "paymentTerms", "vatZone"]);
    if (typeof body.currency === "string" && currencyDecimals(body.currency) === undefined) errors.currency = fieldError("E06000", "currency does not exist.", body.currency);
    const zone = (body.vatZone as { vatZoneNumber?: number } | undefined)?.vatZoneNumber;
    if (body.vatZone && !VAT_ZONES.some((z) => z.vatZoneNumber === zone)) errors.vatZone = fieldError("E06000", "vatZone does not exist.", zone);
    if (Object.keys(errors).length) throw validation(errors);
    const customer = { ...(body as object), customerNumber: Math.max(0, ...this.customers.map((c) => c.customerNumber)) + 1 } as FakeCustomer;
    this.customers.push(customer);
    return { status: 201, json: customer };
  }

  /** The documented required properties of POST /invoices/drafts (PUT: recipient, recipient.vatZone), references, lines. */
  private validInvoice(body: Record<string, unknown>, create: boolean): FakeInvoice {
    const errors = requiredErrors(
      body,
      create ? ["currency", "customer", "date", "layout", "paymentTerms", "recipient", "recipient.name", "recipient.vatZone"] : ["recipient", "recipient.vatZone"],
    );
    if (typeof body.currency === "string" && currencyDecimals(body.currency) === undefined) errors.currency = fieldError("E06000", "currency does not exist.", body.currency);
    // exchangeRate: the base-currency amount of 100 units (a positive decimal); the base currency's own is 100.
    if (body.exchangeRate !== undefined && !(typeof body.exchangeRate === "number" && body.exchangeRate > 0))
      errors.exchangeRate = fieldError("E04700", "exchangeRate must be a positive number.", body.exchangeRate);
    if (body.exchangeRate !== undefined && body.currency === this.baseCurrency && body.exchangeRate !== 100)
      errors.exchangeRate = fieldError("E04700", "exchangeRate must be 100 for the base currency.", body.exchangeRate);
    const customerNumber = (body.customer as { customerNumber?: number } | undefined)?.customerNumber;
    if (body.customer && !this.customers.some((c) => c.customerNumber === customerNumber))
      errors.customer = fieldError("E06000", "customer does not exist.", customerNumber);
    const zone = (body.recipient as { vatZone?: { vatZoneNumber?: number } } | undefined)?.vatZone?.vatZoneNumber;
    if (zone !== undefined && !VAT_ZONES.some((z) => z.vatZoneNumber === zone))
      errors.recipient = { vatZone: fieldError("E06000", "vatZone does not exist.", zone) };
    const other = (body.references as { other?: unknown } | undefined)?.other;
    if (typeof other === "string" && other.length > 250) errors.references = { other: fieldError("E04740", "references.other is longer than 250 characters.", other) };
    const lineErrors: Record<string, unknown>[] = [];
    const lines = (Array.isArray(body.lines) ? body.lines : []) as FakeInvoice["lines"];
    lines.forEach((line, i) => {
      const e: Record<string, unknown> = {};
      const number = line.product?.productNumber;
      if (line.product && !number) e.product = fieldError("E04500", "No identifiers present on product. Please include either a self link or a productNumber.");
      else if (number !== undefined && !this.products.has(number)) e.product = fieldError("E06000", "product does not exist.", number);
      if (line.product && line.quantity === undefined) e.quantity = fieldError("E04730", "Property quantity must have a value when product is set.");
      // Quantities may be negative (a credit note is an invoice with negative quantities, apiforum 1209), with at most two decimals.
      if (line.quantity !== undefined && (typeof line.quantity !== "number" || Math.round(line.quantity * 100) / 100 !== line.quantity))
        e.quantity = fieldError("E04740", "quantity scale cannot be greater then two decimal places.", line.quantity);
      if (number !== undefined && this.products.has(number) && !line.description) e.description = fieldError("E04730", "Property description must have a value when product is set.");
      if (line.unitNetPrice !== undefined && Math.round(line.unitNetPrice * 100) / 100 !== line.unitNetPrice)
        e.unitNetPrice = fieldError("E04740", "unitNetPrice scale cannot be greater then two decimal places.", line.unitNetPrice);
      if (Object.keys(e).length) lineErrors.push({ arrayIndex: i, ...e });
    });
    if (lineErrors.length) errors.lines = lineErrors;
    if (Object.keys(errors).length) throw validation(errors);

    // Totals as e-conomic shows them: line net = quantity × unit price less the discount; in the domestic
    // zone 25 % VAT on the lines whose product group has VAT. Negative quantities give negative amounts
    // (a credit note: negative net and gross), rounded half away from zero like positive ones.
    let netCents = 0;
    let vatableCents = 0;
    const priced = lines.map((l) => {
      const cents = roundHalfAway((l.quantity ?? 0) * Math.round((l.unitNetPrice ?? 0) * 100) * (1 - (l.discountPercentage ?? 0) / 100));
      netCents += cents;
      const group = l.product && this.products.get(l.product.productNumber)?.productGroup?.productGroupNumber;
      if (group === undefined || !this.vatFreeProductGroups.includes(group)) vatableCents += cents;
      return { ...l, totalNetAmount: cents / 100 };
    });
    const vatCents = zone === 1 ? roundHalfAway(vatableCents / 4) : 0;
    return { ...(body as object), lines: priced, netAmount: netCents / 100, vatAmount: vatCents / 100, grossAmount: (netCents + vatCents) / 100 } as FakeInvoice;
  }

  private book(body: Record<string, unknown>) {
    const n = (body.draftInvoice as { draftInvoiceNumber?: number } | undefined)?.draftInvoiceNumber;
    const draft = n === undefined ? undefined : this.drafts.get(n);
    if (!draft) throw validation({ draftInvoice: fieldError("E06000", "draftInvoice does not exist.", n) });
    const year = this.accountingYears.find((y) => y.fromDate <= draft.date && draft.date <= y.toDate);
    if (!year || year.closed) throw validation({ date: fieldError("E07000", "The date is not in an open accounting year.", draft.date) });
    const { draftInvoiceNumber: _, ...rest } = draft;
    const booked = { ...rest, bookedInvoiceNumber: this.nextBooked++ } as FakeInvoice;
    this.drafts.delete(n!);
    this.booked.set(booked.bookedInvoiceNumber!, booked);
    return { status: 201, json: booked };
  }
}

const roundHalfAway = (v: number) => Math.sign(v) * Math.round(Math.abs(v));

/** Minor units of an amount the fake shows as a decimal. */
export const cents = (amount: number) => Math.round(amount * 100);

const ok = (json: unknown) => ({ status: 200, json });

function errorBody(status: number, message: string, developerHint?: string): Record<string, unknown> {
  const body: Record<string, unknown> = { message, logId: `fake-${Math.random().toString(16).slice(2, 10)}`, httpStatusCode: status, logTime: new Date().toISOString().slice(0, 19) };
  if (developerHint) body.developerHint = developerHint;
  return body;
}

function fieldError(errorCode: string, message: string, value?: unknown) {
  const e: Record<string, unknown> = { errorCode, message, developerHint: "Please check your request data." };
  if (value !== undefined) e.value = value;
  return { errors: [e] };
}

function validation(errors: FieldErrors) {
  return new HttpError(400, { ...errorBody(400, "Validation error.", "Inspect validation errors and correct your request."), errors });
}

/** Missing required properties, and nulls anywhere ("We do not generally accept null as a value"). */
function requiredErrors(body: Record<string, unknown>, required: string[]): FieldErrors {
  const errors: FieldErrors = {};
  const set = (path: string, err: unknown) => {
    const parts = path.split(".");
    let node = errors;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as FieldErrors;
    node[parts.at(-1)!] = err;
  };
  for (const path of required) {
    const v = path.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), body);
    if (v === undefined || v === "") set(path, fieldError("E04730", `Property ${path} must have a value.`));
  }
  const walk = (v: unknown, path: string) => {
    if (v === null) set(path, fieldError("E04730", `Property ${path} cannot be null; leave it out instead.`));
    else if (v && typeof v === "object" && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(body, "");
  return errors;
}

/** The custom self-link encoding of `_introduction.md` ("_9_" is a space, "_8_" an underscore …), reversed. */
function decodeSelfLink(s: string): string {
  const table: Record<string, string> = { 0: "<", 1: ">", 2: "*", 3: "%", 4: ":", 5: "&", 6: "/", 7: "\\", 8: "_", 9: " ", 10: "?", 11: ".", 12: "#", 13: "+" };
  return decodeURIComponent(s).replace(/_(\d{1,2})_/g, (m, d) => table[d] ?? m);
}

/** The answer to a filter e-conomic cannot parse (apiforum thread 19921: allowed fields, operators and escapes). */
function unparsable(filter: string, filterable: string[]) {
  return new HttpError(400, {
    ...errorBody(400, "Could not parse query string filter.", "Filtering on collections can be done using the querystring parameter 'filter'. Use the allowed operators and escape special characters."),
    filter,
    allowedFilteringFields: filterable,
    allowedFilteringOperators: { Equals: "$eq:", "Not equals": "$ne:", "Greater than": "$gt:", "Greater than or equal": "$gte:", "Less than": "$lt:", "Less than or equal": "$lte:", "Substring match": "$like:", "And also": "$and:", "Or else": "$or:", In: "$in:", "Not in": "$nin:" },
    escapeCharacters: { $: "$$", "(": "$(", ")": "$)", "*": "$*", ",": "$,", "[": "$[", "]": "$]" },
  });
}

const OPERATORS = new Set(["eq", "ne", "gt", "gte", "lt", "lte", "like", "in", "nin"]);

/**
 * `field$eq:value$and:field$like:*x*$or:…` with the documented escapes ($$ $( $) $* $, $[ $]); strings
 * compare case-insensitively; `$in:[1,2]` / `$nin:` on numeric properties only, at most 200 values.
 * Grouping with parentheses is not modelled: an unescaped ( ) , [ ] outside an `$in:` list is answered
 * as unparsable, so a value that is not escaped fails here as it would mislead e-conomic's parser.
 */
function compileFilter(filter: string, filterable: string[]): (item: object) => boolean {
  type Predicate = { field: string; op: string; value: string; wild: boolean[] };
  const groups: Predicate[][] = [[]];
  let field = "";
  let op = "";
  let value = "";
  let wild: boolean[] = [];
  let inValue = false;
  const finish = () => {
    if (!inValue || !field) throw unparsable(filter, filterable);
    if (!filterable.includes(field)) throw new HttpError(400, errorBody(400, `Filtering on '${field}' is not allowed.`, "Only properties marked filterable in the schema can be filtered."));
    if (op === "in" || op === "nin") {
      if (!NUMERIC.has(field)) throw new HttpError(400, errorBody(400, `The operator $${op}: is only allowed on numeric properties, not on '${field}'.`));
      if (!/^\[[^\]]*\]$/.test(value)) throw unparsable(filter, filterable);
      if (value.slice(1, -1).split(",").length > 200) throw new HttpError(400, errorBody(400, `The list of $${op}: has more than 200 values.`));
    }
    groups.at(-1)!.push({ field, op, value, wild });
    field = op = value = "";
    wild = [];
    inValue = false;
  };
  for (let i = 0; i < filter.length; i++) {
    const ch = filter[i];
    if (ch === "$") {
      const next = filter[i + 1];
      if (next !== undefined && "$()*,[]".includes(next)) {
        if (inValue) {
          value += next;
          wild.push(false);
        } else field += next;
        i++;
        continue;
      }
      const m = /^\$([a-z]+):/.exec(filter.slice(i));
      if (!m) throw unparsable(filter, filterable);
      i += m[0].length - 1;
      if (m[1] === "and" || m[1] === "or") {
        finish();
        if (m[1] === "or") groups.push([]);
      } else if (m[1] === "null") {
        if (!inValue) throw unparsable(filter, filterable);
        value += "\u0000";
        wild.push(false);
      } else {
        if (inValue || !OPERATORS.has(m[1])) throw unparsable(filter, filterable);
        op = m[1];
        inValue = true;
      }
      continue;
    }
    const listOp = op === "in" || op === "nin";
    if ("()".includes(ch) || (!listOp && ",[]".includes(ch))) throw unparsable(filter, filterable);
    if (inValue) {
      value += ch;
      wild.push(ch === "*");
    } else field += ch;
  }
  finish();

  const get = (item: object, path: string) => path.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), item);
  const test = (item: object, p: Predicate) => {
    const actual = get(item, p.field);
    if (p.value === "\u0000") return p.op === "ne" ? actual !== undefined && actual !== null : actual === undefined || actual === null;
    if (p.op === "in" || p.op === "nin") {
      const list = p.value.slice(1, -1).split(",").map(Number);
      return list.includes(Number(actual)) === (p.op === "in");
    }
    if (p.op === "like") {
      const hasWild = p.wild.some(Boolean);
      let re = "";
      for (let i = 0; i < p.value.length; i++) re += p.wild[i] ? ".*" : p.value[i].replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      return new RegExp(hasWild ? `^${re}$` : re, "i").test(String(actual ?? ""));
    }
    const a = typeof actual === "string" ? actual.toLowerCase() : actual;
    const v = typeof actual === "number" ? Number(p.value) : typeof actual === "boolean" ? p.value === "true" : p.value.toLowerCase();
    switch (p.op) {
      case "eq":
        return a === v;
      case "ne":
        return a !== v;
      case "gt":
        return (a as string) > (v as string);
      case "gte":
        return (a as string) >= (v as string);
      case "lt":
        return (a as string) < (v as string);
      default:
        return (a as string) <= (v as string);
    }
  };
  return (item) => groups.some((g) => g.every((p) => test(item, p)));
}
