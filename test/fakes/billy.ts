/**
 * A fake Billy API (billy.dk/api v2): X-Access-Token, the organization, contacts with contact persons,
 * products, invoices with lines, the externalId filter, approval (draft → approved, never back), and
 * errors in Billy's body ({errorCode, errorMessage, validationErrors, meta}). It refuses what Billy
 * refuses: an unknown token (401), a line without a known productId, a contact without countryId,
 * changing an approved invoice, approving twice; a credit note (`type: "creditNote"`) without an
 * existing invoice of the same contact and currency in `creditedInvoiceId`, or with lines that are not
 * positive (the type makes them a credit).
 */
export interface FakeBillyInvoice {
  id: string;
  type: "invoice" | "creditNote";
  invoiceNo: string | null;
  state: "draft" | "approved";
  contactId: string;
  entryDate: string;
  currencyId: string;
  taxMode: string;
  externalId: string | null;
  creditedInvoiceId: string | null;
  lines: { productId: string; description?: string; quantity: number; unitPrice: number; discountMode?: string; discountValue?: number }[];
}

export class FakeBilly {
  readonly token = "billy-token-1";
  readonly organization = { id: "org-1", name: "Testbutikken ApS", baseCurrencyId: "DKK" };
  products: { id: string; productNo: string; name: string; accountId?: string; salesTaxRulesetId?: string }[] = [];
  /** Billy's standard rates (rate as a fraction) and a ruleset like its "Momspligtigt salg". */
  taxRates = [
    { id: "rate-25", name: "Salgsmoms 25 %", rate: 0.25 },
    { id: "rate-eu", name: "EU-salg (omvendt betalingspligt)", rate: 0 },
    { id: "rate-0", name: "Momsfrit salg / eksport", rate: 0 },
  ];
  salesTaxRulesets: { id: string; name: string; fallbackTaxRateId: string | null; rules: { countryId?: string; countryGroupId?: string; contactType?: "company" | "person"; taxRateId: string | null; priority: number }[] }[] = [
    {
      id: "rs-standard",
      name: "Momspligtigt salg",
      fallbackTaxRateId: "rate-0",
      rules: [
        { countryId: "DK", taxRateId: "rate-25", priority: 1 },
        { countryGroupId: "EU", contactType: "company", taxRateId: "rate-eu", priority: 2 },
        { countryGroupId: "EU", contactType: "person", taxRateId: "rate-25", priority: 3 },
      ],
    },
  ];
  /** Entry dates up to and including this day are in a locked period (refused on entryDate). */
  lockedUntil: string | null = null;
  contacts: { id: string; name: string; countryId: string; street?: string; cityText?: string; zipcodeText?: string; contactPersons: { id: string; email: string; name: string }[] }[] = [];
  invoices: FakeBillyInvoice[] = [];
  log: { method: string; path: string; body?: unknown }[] = [];
  /** Requests of this method+path prefix whose answer is lost after Billy did the work (a time-out). */
  loseAnswerOf: { method: string; path: string; times: number }[] = [];
  /** 429 with Retry-After for the next N requests. */
  rateLimitNext = 0;
  private seq = 0;

  constructor() {
    this.addProduct("SKU-1");
    this.addProduct("SHIP");
  }

  addProduct(productNo: string, salesTaxRulesetId = "rs-standard") {
    this.products.push({ id: `prod-${++this.seq}`, productNo, name: productNo, salesTaxRulesetId });
  }

  /** The net amount of a document in minor units (quantity × unit price less a percentage discount). */
  net(inv: FakeBillyInvoice, decimals = 2) {
    const f = 10 ** decimals;
    return inv.lines.reduce((sum, l) => sum + Math.round(l.quantity * Math.round(l.unitPrice * f) * (1 - (l.discountMode === "percent" ? (l.discountValue ?? 0) / 100 : 0))), 0);
  }

  creditNotes() {
    return this.invoices.filter((i) => i.type === "creditNote");
  }

  calls(method?: string, pathPrefix?: string) {
    return this.log.filter((r) => (!method || r.method === method) && (!pathPrefix || r.path.startsWith(pathPrefix))).length;
  }

  readonly fetch = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const body = req.method === "GET" ? undefined : await req.json().catch(() => undefined);
    this.log.push({ method: req.method, path: url.pathname, body });
    if (this.rateLimitNext > 0) {
      this.rateLimitNext--;
      return error(429, "TOO_MANY_REQUESTS", "Too many requests", undefined, { "Retry-After": "2" });
    }
    if (req.headers.get("X-Access-Token") !== this.token) return error(401, "INVALID_ACCESS_TOKEN", "The access token is not valid.");
    const res = this.route(req.method, url, body as Record<string, Record<string, unknown>> | undefined);
    const lost = this.loseAnswerOf.find((l) => l.times > 0 && l.method === req.method && url.pathname.startsWith(l.path));
    if (lost && res.status < 300) {
      lost.times--;
      throw new TypeError("Network connection lost.");
    }
    return res;
  };

  private route(method: string, url: URL, body?: Record<string, Record<string, unknown>>): Response {
    const p = url.pathname;
    const q = url.searchParams;
    if (method === "GET" && p === "/v2/organization") return json({ organization: this.organization });
    if (method === "GET" && p === "/v2/products") {
      const page = Number(q.get("page") ?? 1);
      const size = Math.min(Number(q.get("pageSize") ?? 100), 1000);
      const all = this.products.filter((x) => !q.get("productNo") || x.productNo === q.get("productNo"));
      return json({ meta: { paging: { page, pageCount: Math.max(1, Math.ceil(all.length / size)), total: all.length } }, products: all.slice((page - 1) * size, page * size) });
    }
    if (method === "GET" && p === "/v2/salesTaxRulesets") {
      // Rules only when sideloaded (include=salesTaxRuleset.rules:embed).
      const embed = q.get("include")?.includes("salesTaxRuleset.rules:embed");
      return json({ salesTaxRulesets: this.salesTaxRulesets.map((r) => (embed ? r : { ...r, rules: undefined })) });
    }
    if (method === "GET" && p === "/v2/taxRates") return json({ taxRates: this.taxRates });
    if (method === "POST" && p === "/v2/products") {
      const b = body?.product ?? {};
      if (!b.name || !b.accountId) return validation("product", { name: b.name ? undefined : "required", accountId: b.accountId ? undefined : "required" });
      const product = { id: `prod-${++this.seq}`, productNo: String(b.productNo), name: String(b.name), accountId: String(b.accountId), salesTaxRulesetId: b.salesTaxRulesetId as string | undefined };
      this.products.push(product);
      return json({ products: [product] });
    }
    if (method === "GET" && p === "/v2/contactPersons") {
      const email = q.get("email")?.toLowerCase();
      const persons = this.contacts.flatMap((c) => c.contactPersons.map((cp) => ({ ...cp, contactId: c.id }))).filter((cp) => !email || cp.email.toLowerCase() === email);
      return json({ contactPersons: persons });
    }
    if (method === "POST" && p === "/v2/contacts") {
      const b = body?.contact ?? {};
      if (!b.countryId || !b.name) return validation("contact", { countryId: b.countryId ? undefined : "required", name: b.name ? undefined : "required" });
      const persons = ((b.contactPersons as { email: string; name: string }[]) ?? []).map((cp) => ({ id: `cp-${++this.seq}`, email: cp.email, name: cp.name }));
      const contact = { id: `contact-${++this.seq}`, name: String(b.name), countryId: String(b.countryId), street: b.street as string, cityText: b.cityText as string, zipcodeText: b.zipcodeText as string, contactPersons: persons };
      this.contacts.push(contact);
      return json({ contacts: [contact], contactPersons: persons });
    }
    if (method === "GET" && p === "/v2/invoices") {
      const ext = q.get("externalId");
      return json({ invoices: this.invoices.filter((i) => ext === null || i.externalId === ext) });
    }
    const one = p.match(/^\/v2\/invoices\/([^/]+)$/);
    if (one) {
      const inv = this.invoices.find((i) => i.id === decodeURIComponent(one[1]));
      if (!inv) return error(404, "NOT_FOUND", "Invoice not found.");
      if (method === "GET") return json({ invoice: inv });
      if (method === "PUT") {
        const b = body?.invoice ?? {};
        if (inv.state === "approved") return error(422, "INVOICE_IS_APPROVED", "An approved invoice cannot be changed.");
        const locked = b.entryDate !== undefined ? this.lockedDate(b.entryDate) : null;
        if (locked) return locked;
        if (b.lines) {
          const bad = this.badLines(b.lines as FakeBillyInvoice["lines"], inv.type);
          if (bad) return bad;
          inv.lines = b.lines as FakeBillyInvoice["lines"];
        }
        for (const k of ["entryDate", "currencyId", "contactId", "externalId"] as const) if (b[k] !== undefined) (inv as unknown as Record<string, unknown>)[k] = b[k];
        if (b.state === "approved") this.approveInvoice(inv);
        return json({ invoices: [inv] });
      }
    }
    if (method === "POST" && p === "/v2/invoices") {
      const b = body?.invoice ?? {};
      if (b.organizationId !== this.organization.id) return error(403, "FORBIDDEN", "No access to this organization.");
      if (!this.contacts.some((c) => c.id === b.contactId)) return validation("invoice", { contactId: "Contact does not exist" });
      if (!/^\d{4}-\d{2}-\d{2}$/.test(String(b.entryDate ?? "")) || !b.currencyId) return validation("invoice", { entryDate: b.entryDate ? undefined : "required", currencyId: b.currencyId ? undefined : "required" });
      const locked = this.lockedDate(b.entryDate);
      if (locked) return locked;
      if (b.state !== undefined && b.state !== "draft" && b.state !== "approved") return validation("invoice", { state: "must be draft or approved" });
      const type = (b.type as FakeBillyInvoice["type"]) ?? "invoice";
      if (type !== "invoice" && type !== "creditNote") return validation("invoice", { type: "must be invoice or creditNote" });
      if (type === "creditNote") {
        const credited = this.invoices.find((i) => i.id === b.creditedInvoiceId);
        if (!credited || credited.type !== "invoice") return validation("invoice", { creditedInvoiceId: "Invoice to credit does not exist" });
        if (credited.contactId !== b.contactId || credited.currencyId !== b.currencyId) return validation("invoice", { creditedInvoiceId: "A credit note must have the contact and currency of the credited invoice" });
      }
      const bad = this.badLines((b.lines as FakeBillyInvoice["lines"]) ?? [], type);
      if (bad) return bad;
      const inv: FakeBillyInvoice = {
        id: `inv-${++this.seq}`,
        type,
        creditedInvoiceId: type === "creditNote" ? String(b.creditedInvoiceId) : null,
        invoiceNo: null,
        state: "draft",
        contactId: String(b.contactId),
        entryDate: String(b.entryDate),
        currencyId: String(b.currencyId),
        taxMode: String(b.taxMode ?? "incl"),
        externalId: (b.externalId as string) ?? null,
        lines: b.lines as FakeBillyInvoice["lines"],
      };
      this.invoices.push(inv);
      // `state` on create (default draft): approved at once gets its invoice number.
      if (b.state === "approved") this.approveInvoice(inv);
      return json({ invoices: [inv], invoiceLines: inv.lines });
    }
    return error(404, "NOT_FOUND", `No route ${method} ${p}`);
  }

  private approveInvoice(inv: FakeBillyInvoice) {
    inv.state = "approved";
    inv.invoiceNo = String(this.invoices.filter((i) => i.invoiceNo).length + 1);
  }

  private lockedDate(entryDate: unknown) {
    return this.lockedUntil && String(entryDate) <= this.lockedUntil
      ? validation("invoice", { entryDate: `The entry date is in a locked period (the books are locked until ${this.lockedUntil}).` })
      : null;
  }

  private badLines(lines: FakeBillyInvoice["lines"], type: FakeBillyInvoice["type"]) {
    if (lines.length === 0) return validation("invoice", { lines: "An invoice must have at least one line" });
    for (const [i, l] of lines.entries()) {
      if (!l.productId || !this.products.some((x) => x.id === l.productId)) return validation(`invoiceLine ${i}`, { productId: "Product does not exist" });
      if (typeof l.unitPrice !== "number") return validation(`invoiceLine ${i}`, { unitPrice: "required" });
      if (type === "creditNote" && (!(l.quantity > 0) || l.unitPrice < 0)) return validation(`invoiceLine ${i}`, { quantity: "A credit note's lines are positive: its type makes them a credit" });
    }
    return null;
  }
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

function error(status: number, errorCode: string, errorMessage: string, validationErrors?: unknown, headers?: Record<string, string>) {
  return json({ errorCode, errorMessage, helpUrl: "https://www.billy.dk/api", validationErrors, meta: { statusCode: status, success: false } }, status, headers);
}

function validation(record: string, attributes: Record<string, string | undefined>) {
  const attrs = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined));
  return error(422, "VALIDATION_ERROR", "Validation failed.", { [record]: { attributes: attrs } });
}
