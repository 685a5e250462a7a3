/**
 * The sandbox accounting system: behaves like a real one (master data, numbered draft and booked
 * documents, the frequent errors, outages and rejections) but keeps its documents in D1
 * (sandbox_documents), so demos and tests need no external account.
 *
 * Demo switches by customer email: `…@fail.test` → accounting_unavailable (an outage, retried),
 * `…@reject.test` → accounting_rejected (the system refuses the document).
 */
import { and, desc, eq, max } from "drizzle-orm";
import { chargedShipping, checkOrder, documentTotals, fiscalYearError, orderDate, vatTargetOf, type CheckOptions, type MasterData } from "../../domain/checks";
import { DocumentGone, TransferError } from "../../domain/errors";
import { decimalsOf } from "../../domain/currency";
import { impliedExchangeRate, sumMinor } from "../../domain/money";
import type { CanonicalOrder, DocumentRef } from "../../domain/order";
import { sandboxDocuments } from "../../db/schema";
import type { Db } from "../../db/client";
import { vatTreatment } from "../../domain/vat";
import { copenhagenDate } from "../../domain/calendar";
import { creditNoteLines, creditNoteNet } from "../../domain/document-plan";
import type { AccountingAdapter, AccountingContext, AccountingSession, CreditNoteInput } from "../types";

export const SANDBOX_PRODUCTS: Readonly<Record<string, { name: string; price: number }>> = {
  "SKU-1": { name: "Demo T-shirt", price: 10000 },
  "SKU-2": { name: "Demo mug", price: 7900 },
  "SKU-3": { name: "Demo poster", price: 14900 },
  SHIP: { name: "Shipping", price: 3900 },
  ROUND: { name: "Rounding", price: 0 },
};

/** The sandbox books like e-conomic: one VAT zone per treatment. */
const SANDBOX_ZONES = { domestic: 1, eu: 2, abroad: 3 } as const;
export const SANDBOX_OPTIONS: CheckOptions & { vatTarget: (t: keyof typeof SANDBOX_ZONES) => number } = { shippingProductNumber: "SHIP", autoCreateProducts: false, vatTarget: (t) => SANDBOX_ZONES[t] };
/** A difference in the total up to 0.50 is corrected with a ROUND line. */
export const SANDBOX_ROUNDING = { roundingProductNumber: "ROUND", roundingThreshold: 50 };
/** The sandbox accounting system keeps its books in Danish kroner. */
const SANDBOX_BASE_CURRENCY = "DKK";

/** Last calendar year is closed; this year and next are open. */
export function sandboxMasterData(now = new Date()): MasterData {
  const y = now.getUTCFullYear();
  const year = (n: number, closed: boolean) => ({ year: String(n), fromDate: `${n}-01-01`, toDate: `${n}-12-31`, closed });
  return {
    accountingYears: [year(y - 1, true), year(y, false), year(y + 1, false)],
    productNumbers: new Set(Object.keys(SANDBOX_PRODUCTS)),
  };
}

export const sandboxAccountingAdapter: AccountingAdapter = {
  async open(ctx: AccountingContext) {
    return new SandboxAccountingSession(ctx.db, ctx.integrationId, ctx.settings.documentType === "booked" ? "booked" : "draft");
  },
};

class SandboxAccountingSession implements AccountingSession {
  private count = 0;
  private readonly master = sandboxMasterData();

  constructor(
    private readonly db: Db,
    private readonly integrationId: string,
    private readonly documentType: "draft" | "booked",
  ) {}

  calls() {
    return this.count;
  }

  async check(order: CanonicalOrder) {
    return checkOrder(order, this.master, SANDBOX_OPTIONS);
  }

  async findDocument(reference: string): Promise<DocumentRef | null> {
    this.count++;
    const [row] = await this.db
      .select({ type: sandboxDocuments.type, number: sandboxDocuments.number })
      .from(sandboxDocuments)
      .where(and(eq(sandboxDocuments.integrationId, this.integrationId), eq(sandboxDocuments.reference, reference)))
      .orderBy(desc(sandboxDocuments.number))
      .limit(1);
    return row ? { type: row.type, number: String(row.number) } : null;
  }

  async createDocument(order: CanonicalOrder, reference: string) {
    const { body, error } = this.prepare(order, reference);
    // Totals that do not match are kept as a draft, never booked (as e-conomic does).
    const type = error ? "draft" : this.documentType;
    const number = await this.insert(type, reference, body);
    const document: DocumentRef = { type, number: String(number) };
    if (error) throw new TransferError(error.category, `${error.message} It was created as draft ${number}.`, { details: { ...error.details, document, sent: body } });
    return { document, sent: body };
  }

  async completeDocument(document: DocumentRef, order: CanonicalOrder, reference: string) {
    if (document.type === "booked") return { document, sent: undefined };
    const updated = await this.updateDraft(document, order, reference);
    if (this.documentType !== "booked") return updated;
    await this.book(document);
    return { document: { type: "booked" as const, number: document.number }, sent: updated.sent };
  }

  async updateDraft(document: DocumentRef, order: CanonicalOrder, reference: string) {
    const { body, error } = this.prepare(order, reference);
    this.count++;
    const updated = await this.db
      .update(sandboxDocuments)
      .set({ body, reference })
      .where(
        and(
          eq(sandboxDocuments.integrationId, this.integrationId),
          eq(sandboxDocuments.number, Number(document.number)),
          eq(sandboxDocuments.type, "draft"),
        ),
      )
      .returning({ number: sandboxDocuments.number });
    if (updated.length === 0) throw new DocumentGone(document, "Sandbox accounting");
    if (error) throw new TransferError(error.category, `${error.message} Draft ${document.number} was updated.`, { details: { ...error.details, document, sent: body } });
    return { document, sent: body };
  }

  findCreditNote(reference: string) {
    return this.findDocument(reference);
  }

  /**
   * R20: a credit note document (the refund's lines negated, the invoice's VAT zone and currency, dated
   * the refund's day), booked when documents are booked; checked against the refund's own total.
   */
  async createCreditNote(input: CreditNoteInput) {
    const { order, refund } = input;
    const closed = fiscalYearError(copenhagenDate(refund.createdAt), this.master.accountingYears!);
    if (closed) throw closed;
    const zone = vatTargetOf(order, SANDBOX_OPTIONS.vatTarget);
    if (zone.error) throw zone.error;
    const treatment = vatTreatment(order).treatment ?? zone.treatment;
    const lines = creditNoteLines(order, refund, { shippingProductNumber: SANDBOX_OPTIONS.shippingProductNumber, treatment, creditedBefore: input.creditedBefore });
    const credited = { ...order, totals: { net: -refund.totals.net, vat: -refund.totals.vat, gross: -refund.totals.gross } };
    const totals = documentTotals(creditNoteNet(lines), treatment, credited, SANDBOX_ROUNDING);
    if (totals.rounding !== 0) lines.push({ productNumber: "ROUND", description: "Rounding", quantity: 1, unitNetPrice: totals.rounding, net: totals.rounding });
    const invoiceSent = (input.invoiceSent ?? {}) as { customer?: unknown; exchangeRate?: unknown };
    const body = {
      type: "creditNote",
      creditedInvoice: input.invoice.number,
      refundId: refund.refundId,
      date: copenhagenDate(refund.createdAt),
      currency: order.currency,
      ...(invoiceSent.exchangeRate ? { exchangeRate: invoiceSent.exchangeRate } : {}),
      customer: invoiceSent.customer ?? null,
      vatZone: { number: zone.target, treatment },
      reference: input.reference,
      lines,
      totals: { net: totals.net, vat: totals.vat, gross: totals.gross },
    };
    const type = totals.error ? "draft" : this.documentType;
    const number = await this.insert(type, input.reference, body);
    const document: DocumentRef = { type, number: String(number) };
    if (totals.error) throw new TransferError("totals_mismatch", `${totals.error.message} It was created as draft ${number}.`, { details: { ...totals.error.details, document, sent: body } });
    return { document, sent: body };
  }

  async completeCreditNote(document: DocumentRef) {
    if (document.type === "booked" || this.documentType === "draft") return { document, sent: undefined };
    await this.book(document);
    return { document: { type: "booked" as const, number: document.number }, sent: undefined };
  }

  private async book(document: DocumentRef) {
    this.count++;
    await this.db
      .update(sandboxDocuments)
      .set({ type: "booked" })
      .where(and(eq(sandboxDocuments.integrationId, this.integrationId), eq(sandboxDocuments.number, Number(document.number))));
  }

  /** The simulated failures, the frequent errors, then the document with its totals checked. */
  private prepare(order: CanonicalOrder, reference: string) {
    const email = order.customer.email?.trim().toLowerCase() ?? "";
    if (email.endsWith("@fail.test"))
      throw new TransferError("accounting_unavailable", "Sandbox accounting is unavailable (simulated outage for @fail.test customers).", { retryAfterSeconds: 5 });
    const problem = checkOrder(order, this.master, SANDBOX_OPTIONS);
    if (problem) throw problem;
    if (email.endsWith("@reject.test"))
      throw new TransferError("accounting_rejected", `Sandbox accounting refused the document: customer ${email} is blocked for invoicing (simulated rejection for @reject.test customers).`);
    const zone = vatTargetOf(order, SANDBOX_OPTIONS.vatTarget);
    if (zone.error) throw zone.error;

    const charge = (productNumber: string, description: string, net: number) => ({ productNumber, description, quantity: 1, unitPriceNet: net, discountNet: 0, netTotal: net });
    const lines = [
      ...order.lines.map((l) => ({ productNumber: l.sku!, description: l.description, quantity: l.quantity, unitPriceNet: l.unitPriceNet, discountNet: l.discountNet, netTotal: l.netTotal })),
      ...chargedShipping(order).map((s) => charge("SHIP", s.description || "Shipping", s.netAmount)),
      ...order.fees.filter((f) => f.netAmount !== 0).map((f) => charge("SHIP", f.description || "Fee", f.netAmount)),
    ];
    const totals = documentTotals(sumMinor(lines.map((l) => l.netTotal)), zone.treatment, order, SANDBOX_ROUNDING);
    if (totals.rounding !== 0) lines.push(charge("ROUND", "Rounding", totals.rounding));
    const c = order.customer;
    const body = {
      date: orderDate(order),
      currency: order.currency,
      // R24: the rate the shop's two totals imply when the document is not in the sandbox's base currency (DKK).
      ...(order.otherTotal?.currency === SANDBOX_BASE_CURRENCY && order.currency !== SANDBOX_BASE_CURRENCY
        ? { exchangeRate: impliedExchangeRate({ gross: order.totals.gross, decimals: decimalsOf(order.currency) }, { gross: order.otherTotal.gross, decimals: decimalsOf(SANDBOX_BASE_CURRENCY) }) }
        : {}),
      customer: { name: c.company?.trim() || c.name, email: c.email, countryCode: c.countryCode, address: c.address, zip: c.zip, city: c.city },
      vatZone: { number: zone.target, treatment: zone.treatment },
      reference,
      lines,
      totals: { net: totals.net, vat: totals.vat, gross: totals.gross },
    };
    return { body, error: totals.error };
  }

  /** Numbers are per integration, max + 1; a concurrent insert of the same number makes it try the next. */
  private async insert(type: "draft" | "booked", reference: string, body: Record<string, unknown>): Promise<number> {
    for (let attempt = 0; attempt < 5; attempt++) {
      this.count++;
      const [{ last }] = await this.db
        .select({ last: max(sandboxDocuments.number) })
        .from(sandboxDocuments)
        .where(eq(sandboxDocuments.integrationId, this.integrationId));
      const number = (last ?? 0) + 1;
      const inserted = await this.db
        .insert(sandboxDocuments)
        .values({ integrationId: this.integrationId, number, type, reference, body, createdAt: new Date().toISOString() })
        .onConflictDoNothing()
        .returning({ number: sandboxDocuments.number });
      if (inserted.length > 0) return number;
    }
    throw new TransferError("accounting_unavailable", "Sandbox accounting is busy (document numbering conflict); it is retried.");
  }
}
