/**
 * The Billy accounting module (api.billysbilling.com/v2): an order becomes a draft invoice, approved
 * when documents are booked. Per session: GET /v2/organization (the organization id every record needs)
 * the products (GET /v2/products, pages of 1,000), the sales tax rulesets with their rules and the tax
 * rates, so checking an order costs no call. Per order: the contact (remembered in the binding table,
 * else GET /v2/contactPersons?email=, else POST /v2/contacts), products when autoCreateProducts, and
 * POST /v2/invoices (with `state: "approved"` when documents are booked: one call). A draft left by an
 * earlier attempt is approved with PUT /v2/invoices/{id} state approved.
 *
 * Our reference goes in the invoice's `externalId`; after an uncertain attempt it is looked up with
 * GET /v2/invoices?externalId=, so a lost answer never makes a second invoice. Credit notes (R20) are
 * invoices of `type: "creditNote"` with `creditedInvoiceId` (the credited invoice's id), the invoice's
 * contact and currency, and the refunded lines positive (Billy's type flag makes them a credit,
 * reference-wave2 §2), approved when documents are booked, our reference in `externalId` as well.
 */
import { checkOrder, documentTotals, orderDate, productNumbersOf } from "../../domain/checks";
import { creditNoteLines, creditNoteNet, documentLines, orderHeading, type DocumentLine } from "../../domain/document-plan";
import { copenhagenDate } from "../../domain/calendar";
import { decimalsOf } from "../../domain/currency";
import { TransferError, withDocument } from "../../domain/errors";
import { formatMinor, sumMinor } from "../../domain/money";
import type { CanonicalOrder, DocumentRef } from "../../domain/order";
import { EU_COUNTRIES_EXCEPT_DK, vatTreatment, zoneVatRate } from "../../domain/vat";
import type { Bindings } from "../../db/bindings";
import { sharedBudget } from "../../lib/rate-limiter";

/** Billy documents no rate limit: a polite default (a burst of 20, then 5 requests a second); a 429 is honoured. */
export const BILLY_LIMITS = { capacity: 20, refillPerSecond: 5 };
import type { AccountingAdapter, AccountingContext, AccountingSession, CreditNoteInput } from "../types";
import { BILLY_HINTS, BillyClient } from "./client";
import type { BillySettings } from "./settings";

interface Organization {
  id: string;
  name: string;
  baseCurrencyId?: string;
}
interface Product {
  id: string;
  productNo?: string | null;
  salesTaxRulesetId?: string | null;
}
/** A sales tax ruleset with its rules embedded (GET /v2/salesTaxRulesets?include=salesTaxRuleset.rules:embed). */
export interface SalesTaxRuleset {
  id: string;
  name?: string;
  fallbackTaxRateId?: string | null;
  rules?: SalesTaxRule[];
}
export interface SalesTaxRule {
  countryId?: string | null;
  countryGroupId?: string | null;
  contactType?: "company" | "person" | null;
  taxRateId?: string | null;
  priority?: number;
}
/** `rate` is a fraction (0.25). */
interface TaxRate {
  id: string;
  rate: number;
  name?: string;
}
interface Invoice {
  id: string;
  type?: "invoice" | "creditNote";
  invoiceNo?: string | null;
  state: "draft" | "approved" | "voided";
  externalId?: string | null;
  contactId?: string;
  currencyId?: string;
}
/** The invoice body as sent (the ledger keeps it): its contact and our reference. */
interface SentInvoice {
  invoice?: { contactId?: string; externalId?: string; currencyId?: string };
}
interface Paging {
  meta?: { paging?: { page?: number; pageCount?: number } };
}

/** Billy's largest page (billy.dk/api "Paging"). */
const PAGE_SIZE = 1000;
const MAX_PAGES = 100;

export function billyClient(ctx: Pick<AccountingContext, "env" | "fetch">, accessToken: string, beforeRequest?: () => Promise<void>) {
  return new BillyClient({ baseUrl: ctx.env.BILLY_API_URL || "https://api.billysbilling.com", accessToken, fetch: ctx.fetch, beforeRequest });
}

/** The organization the token belongs to: how a pasted token is checked (a refused token throws accounting_auth_failed). */
export async function billyOrganization(client: BillyClient): Promise<Organization> {
  const org = (await client.get<{ organization?: Organization }>("/v2/organization")).organization;
  if (!org?.id) throw new TransferError("accounting_rejected", "Billy answered GET /v2/organization without an organization.");
  return org;
}

export const billyAdapter: AccountingAdapter = {
  async open(ctx: AccountingContext) {
    const settings = ctx.settings as BillySettings;
    // Billy documents no rate limit: the shared limiter keeps every sender of one token polite.
    const client = billyClient(ctx, settings.accessToken, await sharedBudget(ctx.env, "billy", settings.accessToken, "Billy", BILLY_LIMITS));
    const session = new BillySession(client, settings, ctx.store.bindings("billy.contact"));
    await session.load();
    return session;
  },
  async verifySettings(ctx, settings) {
    const org = await billyOrganization(billyClient(ctx, String(settings.accessToken)));
    return { organizationName: org.name };
  },
};

export class BillySession implements AccountingSession {
  private organization!: Organization;
  /** productNo → product id. */
  private products = new Map<string, string>();
  /** productNo → its sales tax ruleset id (the line's VAT comes from it and the contact's country). */
  private productRulesets = new Map<string, string>();
  private rulesets = new Map<string, SalesTaxRuleset>();
  /** Tax rate id → rate in basis points. */
  private taxRates = new Map<string, number>();

  constructor(
    private readonly client: BillyClient,
    private readonly settings: BillySettings,
    private readonly knownContacts: Bindings,
  ) {}

  async load() {
    this.organization = await billyOrganization(this.client);
    for (let page = 1; page <= MAX_PAGES; page++) {
      const r = await this.client.get<{ products?: Product[] } & Paging>("/v2/products", { organizationId: this.organization.id, page, pageSize: PAGE_SIZE });
      for (const p of r.products ?? []) if (p.productNo) this.remember(p.productNo, p.id, p.salesTaxRulesetId);
      if (!r.meta?.paging?.pageCount || page >= r.meta.paging.pageCount) break;
    }
    const org = { organizationId: this.organization.id };
    const [rulesets, rates] = await Promise.all([
      this.client.get<{ salesTaxRulesets?: SalesTaxRuleset[] }>("/v2/salesTaxRulesets", { ...org, include: "salesTaxRuleset.rules:embed", pageSize: PAGE_SIZE }),
      this.client.get<{ taxRates?: TaxRate[] }>("/v2/taxRates", { ...org, pageSize: PAGE_SIZE }),
    ]);
    for (const rs of rulesets.salesTaxRulesets ?? []) this.rulesets.set(rs.id, rs);
    for (const t of rates.taxRates ?? []) this.taxRates.set(t.id, Math.round(t.rate * 10000));
  }

  private remember(productNo: string, id: string, rulesetId?: string | null) {
    this.products.set(productNo, id);
    if (rulesetId) this.productRulesets.set(productNo, rulesetId);
  }

  calls() {
    return this.client.calls();
  }

  async check(order: CanonicalOrder) {
    // Billy has no VAT zones and no accounting years to read here: the VAT treatment must be one the
    // products' rulesets handle (Danish VAT, or none for EU/abroad), the products must exist.
    const problem = checkOrder(order, { productNumbers: new Set(this.products.keys()) }, { shippingProductNumber: this.settings.shippingProductNo, autoCreateProducts: this.settings.autoCreateProducts });
    if (problem?.category === "product_missing") return productMissing(problem.message.replace("the accounting system", "Billy (no product with that product no.)"), problem.details);
    if (problem) return inBillyWords(problem);
    const decision = vatTreatment(order);
    return decision.error ? inBillyWords(decision.error) : this.rulesetError(order, decision.treatment);
  }

  /**
   * vat_setup_missing when Billy would not charge the order's VAT: a line's VAT comes from its product's
   * sales tax ruleset and the contact's country, so each product's ruleset needs a rule (or a fallback)
   * for the customer's country whose rate is the order's (25 % for Danish VAT, 0 % without VAT).
   */
  private rulesetError(order: CanonicalOrder, treatment: import("../../domain/vat").VatTreatment): TransferError | null {
    const country = order.customer.countryCode!.trim().toUpperCase();
    const contactType = order.customer.company?.trim() ? "company" : "person";
    const want = zoneVatRate(treatment);
    for (const no of productNumbersOf(order, this.settings.shippingProductNo)) {
      const rulesetId = this.productRulesets.get(no) ?? (this.products.has(no) ? undefined : this.settings.salesTaxRulesetId);
      const ruleset = rulesetId ? this.rulesets.get(rulesetId) : undefined;
      if (!ruleset) continue; // No ruleset known for it: Billy decides by the product's account.
      const rateId = taxRateOf(ruleset, country, contactType);
      const name = ruleset.name ?? ruleset.id;
      if (rateId === undefined)
        return vatSetupMissing(
          `Product no. "${no}" uses the sales tax ruleset "${name}", which has no rule for ${country} (and no fallback), so Billy cannot set its VAT.`,
          `Varenr. "${no}" bruger momsregelsættet "${name}", som ikke har nogen regel for ${country}.`,
          { productNo: no, salesTaxRulesetId: ruleset.id, country },
        );
      const rate = rateId === null ? 0 : this.taxRates.get(rateId);
      if (rate !== undefined && rate !== want)
        return vatSetupMissing(
          `Product no. "${no}" uses the sales tax ruleset "${name}", which gives ${rate / 100} % VAT for ${country}, but the order has ${want / 100} %.`,
          `Varenr. "${no}" bruger momsregelsættet "${name}", som giver ${rate / 100} % moms for ${country}, men ordren har ${want / 100} %.`,
          { productNo: no, salesTaxRulesetId: ruleset.id, country, rate, orderRate: want },
        );
    }
    return null;
  }

  async findDocument(reference: string): Promise<DocumentRef | null> {
    const r = await this.client.get<{ invoices?: Invoice[] }>("/v2/invoices", { organizationId: this.organization.id, externalId: reference });
    const hit = (r.invoices ?? []).find((i) => i.externalId === reference && i.state !== "voided");
    return hit ? documentOf(hit) : null;
  }

  async createDocument(order: CanonicalOrder, reference: string) {
    return this.create(await this.prepare(order, reference), "draft");
  }

  /**
   * POST /v2/invoices: created approved in the same call when documents are booked (Billy's `state` on
   * create), unless its totals do not match: then it stays a draft for the merchant to correct.
   */
  private async create({ body, error }: { body: { invoice: Record<string, unknown> }; error: TransferError | null }, what: string) {
    const approve = this.settings.documentType === "booked" && !error;
    const sent = approve ? { invoice: { ...body.invoice, state: "approved" } } : body;
    const created = await this.invoiceOf(this.client.post<{ invoices?: Invoice[] }>("/v2/invoices", sent));
    const document = documentOf(created);
    if (error) throw withDocument(error, document, body, ` It was created as ${what} ${document.number} and not approved.`);
    // Billy answered without approving it: approve it now.
    if (approve && document.type !== "booked") return this.approve(document, body);
    return { document, sent: body };
  }

  completeDocument(document: DocumentRef, order: CanonicalOrder, reference: string) {
    return this.complete(document, () => this.updateDraft(document, order, reference));
  }

  /**
   * A draft left by an earlier attempt: written again, then approved when documents are booked. It may
   * have been approved by an attempt whose answer was lost: never approved twice.
   */
  private async complete(document: DocumentRef, write: () => Promise<{ sent: unknown }>) {
    if (document.type === "booked") return { document, sent: undefined };
    const current = await this.read(document.number);
    if (current.state === "approved") return { document: documentOf(current), sent: undefined };
    const updated = await write();
    return this.settings.documentType === "booked" ? this.approve(document, updated.sent) : { document, sent: updated.sent };
  }

  private read(id: string) {
    return this.invoiceOf(this.client.get<{ invoice?: Invoice; invoices?: Invoice[] }>(`/v2/invoices/${encodeURIComponent(id)}`));
  }

  /** Credit notes carry our reference in `externalId` as invoices do. */
  findCreditNote(reference: string) {
    return this.findDocument(reference);
  }

  /** R20: an invoice of type creditNote for the credited invoice, approved when documents are booked. */
  async createCreditNote(input: CreditNoteInput) {
    return this.create(await this.prepareCreditNote(input), "credit note draft");
  }

  /** A credit-note draft left by an earlier attempt is written again, then approved when documents are booked. */
  completeCreditNote(document: DocumentRef, input: CreditNoteInput) {
    return this.complete(document, async () => {
      const { body, error } = await this.prepareCreditNote(input);
      await this.client.put(`/v2/invoices/${encodeURIComponent(document.number)}`, body);
      if (error) throw withDocument(error, document, body, ` Credit note draft ${document.number} was updated.`);
      return { sent: body };
    });
  }

  /**
   * The credited invoice (its id and contact): a draft is known by its id and its contact is in the body
   * as sent; an approved one is known by its number, so it is looked up by our reference in `externalId`.
   */
  private async creditedInvoice(input: CreditNoteInput): Promise<{ id: string; contactId: string }> {
    const sent = (input.invoiceSent ?? {}) as SentInvoice;
    if (input.invoice.type === "draft" && sent.invoice?.contactId) return { id: input.invoice.number, contactId: sent.invoice.contactId };
    const ref = sent.invoice?.externalId ?? input.invoiceReference;
    let found: Invoice | undefined;
    if (input.invoice.type === "draft") found = await this.read(input.invoice.number);
    else if (ref) {
      const r = await this.client.get<{ invoices?: Invoice[] }>("/v2/invoices", { organizationId: this.organization.id, externalId: ref });
      found = (r.invoices ?? []).find((i) => i.externalId === ref && i.type !== "creditNote" && i.state !== "voided");
    }
    if (!found?.id || !found.contactId)
      throw new TransferError("accounting_rejected", `Billy has no invoice ${input.invoice.number} for order ${input.order.orderNumber} to credit.`, {
        hint: "Overfør ordren igen, så fakturaen findes i Billy, og overfør så refusionen. / Transfer the order again so its invoice exists in Billy, then the refund.",
      });
    return { id: found.id, contactId: found.contactId };
  }

  private async prepareCreditNote(input: CreditNoteInput) {
    const decision = vatTreatment(input.order);
    if (decision.error) throw decision.error;
    const { order, refund } = input;
    const shipping = this.settings.shippingProductNo;
    // The refund's lines negated as for e-conomic, then written positive: Billy's type makes them a credit.
    const lines = creditNoteLines(order, refund, { shippingProductNumber: shipping, treatment: decision.treatment, creditedBefore: input.creditedBefore });
    const missing = lines.find((l) => !this.products.has(l.productNumber));
    if (missing) {
      if (!this.settings.autoCreateProducts) throw productMissing(`Product no. "${missing.productNumber}" of refund ${refund.refundId} is missing in Billy.`, { productNumbers: [missing.productNumber] });
      await this.createMissingProducts(order);
    }
    const credited = { ...order, totals: { net: -refund.totals.net, vat: -refund.totals.vat, gross: -refund.totals.gross } };
    const totals = documentTotals(creditNoteNet(lines), decision.treatment, credited, { roundingThreshold: this.settings.roundingThreshold });
    const invoice = await this.creditedInvoice(input);
    const decimals = decimalsOf(order.currency);
    const body = {
      invoice: {
        organizationId: this.organization.id,
        type: "creditNote",
        creditedInvoiceId: invoice.id,
        contactId: invoice.contactId,
        entryDate: copenhagenDate(refund.createdAt),
        currencyId: order.currency,
        taxMode: "excl",
        externalId: input.reference,
        contactMessage: `Kreditnota for ordre ${order.orderNumber}, refusion ${refund.refundId} / Credit note for order ${order.orderNumber}, refund ${refund.refundId}`,
        lines: lines.map((l, i) => billyLine({ ...l, quantity: -l.quantity }, this.products, decimals, i)),
      },
    };
    return { body, error: totals.error && inBillyWords(totals.error) };
  }

  async updateDraft(document: DocumentRef, order: CanonicalOrder, reference: string) {
    if (document.type !== "draft") throw new TransferError("accounting_rejected", `Billy invoice ${document.number} is approved; an approved invoice cannot be changed.`);
    const { body, error } = await this.prepare(order, reference);
    await this.client.put(`/v2/invoices/${encodeURIComponent(document.number)}`, body);
    if (error) throw withDocument(error, document, body, ` Draft ${document.number} was updated.`);
    return { document, sent: body };
  }

  private async approve(draft: DocumentRef, body: unknown) {
    try {
      const approved = await this.invoiceOf(this.client.put<{ invoices?: Invoice[] }>(`/v2/invoices/${encodeURIComponent(draft.number)}`, { invoice: { state: "approved" } }));
      return { document: documentOf(approved), sent: body };
    } catch (e) {
      if (e instanceof TransferError) throw withDocument(e, draft, body, ` Draft ${draft.number} was created but not approved.`);
      throw e;
    }
  }

  private async invoiceOf(answer: Promise<{ invoice?: Invoice; invoices?: Invoice[] }>): Promise<Invoice> {
    const r = await answer;
    const invoice = r.invoices?.[0] ?? r.invoice;
    if (!invoice?.id) throw new TransferError("accounting_unavailable", "Billy answered without the invoice.");
    return invoice;
  }

  private async prepare(order: CanonicalOrder, reference: string) {
    const problem = await this.check(order);
    if (problem) throw problem;
    const decision = vatTreatment(order);
    if (decision.error) throw decision.error;
    if (this.settings.autoCreateProducts) await this.createMissingProducts(order);
    const contactId = await this.contactFor(order);
    const { body, error } = invoiceBody({ order, settings: this.settings, organizationId: this.organization.id, contactId, products: this.products, reference, treatment: decision.treatment });
    return { body, error: error && inBillyWords(error) };
  }

  private async createMissingProducts(order: CanonicalOrder) {
    const shipping = this.settings.shippingProductNo;
    for (const no of productNumbersOf(order, shipping)) {
      if (this.products.has(no)) continue;
      const line = order.lines.find((l) => l.sku === no);
      const r = await this.client.post<{ products?: Product[] }>("/v2/products", {
        product: {
          organizationId: this.organization.id,
          name: (line?.description || (no === shipping ? "Shipping" : no)).slice(0, 255),
          productNo: no,
          accountId: this.settings.productAccountId,
          salesTaxRulesetId: this.settings.salesTaxRulesetId,
        },
      });
      const id = r.products?.[0]?.id;
      if (!id) throw new TransferError("accounting_unavailable", `Billy answered POST /v2/products for "${no}" without the product.`);
      this.remember(no, id, this.settings.salesTaxRulesetId);
    }
  }

  /** The contact with the order's email: remembered in the binding table, found on its contact persons, or created. */
  private async contactFor(order: CanonicalOrder): Promise<string> {
    const c = order.customer;
    const email = c.email!.trim();
    const key = email.toLowerCase();
    const known = await this.knownContacts.get(key);
    if (known) return known;
    const found = await this.client.get<{ contactPersons?: { contactId: string; email?: string }[] }>("/v2/contactPersons", {
      organizationId: this.organization.id,
      email,
    });
    let id = found.contactPersons?.find((p) => p.email?.trim().toLowerCase() === key)?.contactId;
    if (!id) {
      const contact: Record<string, unknown> = {
        organizationId: this.organization.id,
        type: c.company?.trim() ? "company" : "person",
        name: (c.company?.trim() || c.name?.trim() || email).slice(0, 255),
        countryId: c.countryCode!.trim().toUpperCase(),
        isCustomer: true,
        contactPersons: [{ name: (c.name?.trim() || email).slice(0, 255), email, isPrimary: true }],
      };
      if (c.address) contact.street = c.address;
      if (c.zip) contact.zipcodeText = c.zip;
      if (c.city) contact.cityText = c.city;
      const r = await this.client.post<{ contacts?: { id: string }[] }>("/v2/contacts", { contact });
      id = r.contacts?.[0]?.id;
      if (!id) throw new TransferError("accounting_unavailable", "Billy answered POST /v2/contacts without the contact.");
    }
    await this.knownContacts.put(key, id);
    return id;
  }
}

/**
 * The tax rate a ruleset gives a contact of this country and type: the first matching rule by priority
 * (a country, the EU country group, or any), else the fallback. Null: no VAT; undefined: no rule at all.
 */
export function taxRateOf(ruleset: SalesTaxRuleset, country: string, contactType: "company" | "person"): string | null | undefined {
  const inGroup = (g: string) => g.toUpperCase() === "EU" && (country === "DK" || EU_COUNTRIES_EXCEPT_DK.has(country));
  const rules = [...(ruleset.rules ?? [])].sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
  const hit = rules.find(
    (r) => (r.countryId ? r.countryId.toUpperCase() === country : r.countryGroupId ? inGroup(r.countryGroupId) : true) && (!r.contactType || r.contactType === contactType),
  );
  if (hit) return hit.taxRateId ?? null;
  return ruleset.fallbackTaxRateId === undefined || ruleset.fallbackTaxRateId === null ? undefined : ruleset.fallbackTaxRateId;
}

/** The error with Billy's hint for its category, when it has one. */
function inBillyWords(e: TransferError): TransferError {
  const hint = BILLY_HINTS[e.category];
  return hint ? new TransferError(e.category, e.message, { hint, details: e.details, retryAfterSeconds: e.retryAfterSeconds }) : e;
}

const vatSetupMissing = (en: string, da: string, details: Record<string, unknown>) =>
  new TransferError("vat_setup_missing", `${en} / ${da}`, { details, hint: BILLY_HINTS.vat_setup_missing });

const productMissing = (message: string, details?: Record<string, unknown>) =>
  new TransferError("product_missing", message, {
    details,
    hint: "Opret varen i Billy med SKU'en som varenr., eller slå \"opret manglende varer\" til i integrationen. / Create the product in Billy with the SKU as its product no. (Varenr.), or turn on \"create missing products\" in the integration.",
  });

/** A draft is known by its id, an approved invoice by its invoice number (api.md "Document numbers"). */
function documentOf(i: Invoice): DocumentRef {
  return i.state === "approved" && i.invoiceNo ? { type: "booked", number: String(i.invoiceNo) } : { type: "draft", number: i.id };
}

export interface BillyInvoiceInput {
  order: CanonicalOrder;
  settings: Pick<BillySettings, "shippingProductNo" | "roundingThreshold">;
  organizationId: string;
  contactId: string;
  products: ReadonlyMap<string, string>;
  reference: string;
  treatment: import("../../domain/vat").VatTreatment;
}

/**
 * The body of POST /v2/invoices: net unit prices (`taxMode: "excl"`), lines by product, shipping and
 * fees on the shipping product, the entry date in Copenhagen, the document currency. `error` is
 * totals_mismatch when the lines cannot match the order's total (Billy has no rounding product here).
 */
export function invoiceBody(input: BillyInvoiceInput) {
  const { order } = input;
  const decimals = decimalsOf(order.currency);
  const lines = documentLines(order, input.settings.shippingProductNo);
  const totals = documentTotals(sumMinor(lines.map((l) => l.net)), input.treatment, order, { roundingThreshold: input.settings.roundingThreshold });
  const body = {
    invoice: {
      organizationId: input.organizationId,
      type: "invoice",
      contactId: input.contactId,
      entryDate: orderDate(order),
      currencyId: order.currency,
      taxMode: "excl",
      externalId: input.reference,
      contactMessage: orderHeading(order.orderNumber),
      lines: lines.map((l, i) => billyLine(l, input.products, decimals, i)),
    },
  };
  return { body, error: totals.error };
}

/** One line of a Billy invoice or credit note: by product, net unit price, a percentage discount when exact. */
function billyLine(l: DocumentLine, products: ReadonlyMap<string, string>, decimals: number, i: number) {
  return {
    productId: products.get(l.productNumber)!,
    description: l.description || l.productNumber,
    quantity: l.quantity,
    unitPrice: formatMinor(l.unitNetPrice, decimals),
    ...(l.discountBp ? { discountMode: "percent", discountValue: l.discountBp / 100 } : {}),
    priority: i + 1,
  };
}
