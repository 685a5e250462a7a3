/**
 * CanonicalOrder → the body of a Dinero invoice (POST /v1/{org}/invoices, PUT /v1.2/{org}/invoices/{guid}),
 * and refund → the lines of a Dinero credit note. Pure.
 *
 * Dinero needs no products: a line is its description (with the SKU), quantity, net unit price
 * (`ShowLinesInclVat: false`) and the sales account of the order's VAT treatment, which decides the VAT.
 * Lines are held exactly as for e-conomic (`exactLines`: a discount as a percentage when it is exact, else
 * one or two lines); shipping and fees are lines of their own on the same account. A totals difference up
 * to `roundingThreshold` goes on a rounding line on `accounts.abroad` (sales without VAT), so it adds no VAT.
 */
import { documentTotals, orderDate, type DocumentTotals } from "../../domain/checks";
import { decimalsOf } from "../../domain/currency";
import { formatMinor, sumMinor } from "../../domain/money";
import type { CanonicalOrder } from "../../domain/order";
import type { CanonicalRefund } from "../../domain/refund";
import type { VatTreatment } from "../../domain/vat";
import { creditNoteLines, documentLines, type DocumentLine } from "../../domain/document-plan";
import type { DineroSettings } from "./settings";

/** Dinero's limits (POST invoices: ExternalReference ≤ 128 characters). */
const MAX = { reference: 128, description: 2000, lineDescription: 2000 };

/**
 * Our reference as Dinero keeps it (and findDocument looks it up): ours ends with the order id, the
 * integration and the generation, so a reference longer than Dinero's 128 characters keeps its end.
 */
export const externalReference = (reference: string) => (reference.length <= MAX.reference ? reference : reference.slice(-MAX.reference));

export interface DineroProductLine {
  Description: string;
  Quantity: number;
  AccountNumber: number;
  Unit: string;
  LineType: "Product";
  BaseAmountValue: number;
  Discount?: number;
}

export interface DineroInvoiceBody {
  ContactGuid: string;
  Date: string;
  Currency: string;
  Language: "da-DK" | "en-GB";
  ExternalReference: string;
  Description: string;
  PaymentConditionType: "Netto" | "NettoCash";
  PaymentConditionNumberOfDays: number;
  ShowLinesInclVat: false;
  ProductLines: DineroProductLine[];
  /** The entity's latest TimeStamp (updates only). */
  Timestamp?: string;
}

/** "SKU-1 – Blue mug": the line's text with its SKU first, so the bookkeeper finds the product. */
const lineText = (l: DocumentLine) => clip(l.productNumber && l.productNumber !== l.description ? `${l.productNumber} – ${l.description || l.productNumber}` : l.description || l.productNumber, MAX.lineDescription);

function productLine(l: DocumentLine, account: number, decimals: number): DineroProductLine {
  return {
    Description: lineText(l),
    Quantity: l.quantity,
    AccountNumber: account,
    Unit: "parts",
    LineType: "Product",
    BaseAmountValue: formatMinor(l.unitNetPrice, decimals),
    ...(l.discountBp ? { Discount: l.discountBp / 100 } : {}),
  };
}

/** The order's lines as a Dinero invoice holds them, and their totals against the order's (rounding included). */
export function invoiceLines(order: CanonicalOrder, settings: Pick<DineroSettings, "accounts" | "roundingThreshold">, treatment: VatTreatment): { lines: DineroProductLine[]; totals: DocumentTotals } {
  const decimals = decimalsOf(order.currency);
  // No product numbers: shipping and fees are described lines on the treatment's account.
  const lines = documentLines(order, "");
  const totals = documentTotals(sumMinor(lines.map((l) => l.net)), treatment, order, {
    roundingProductNumber: settings.roundingThreshold !== undefined ? "rounding" : undefined,
    roundingThreshold: settings.roundingThreshold,
  });
  const out = lines.map((l) => productLine(l, settings.accounts[treatment], decimals));
  if (totals.rounding !== 0) out.push(productLine({ productNumber: "", description: "Øreafrunding / Rounding", quantity: 1, unitNetPrice: totals.rounding, net: totals.rounding }, settings.accounts.abroad, decimals));
  return { lines: out, totals };
}

/** "Ordre #1001" (Shopify names carry the # already). */
export const orderText = (orderNumber: string) => (orderNumber.startsWith("#") ? `Ordre ${orderNumber}` : `Ordre #${orderNumber}`);

export function invoiceBody(input: { order: CanonicalOrder; settings: DineroSettings; contactGuid: string; reference: string; lines: DineroProductLine[] }): DineroInvoiceBody {
  const days = input.settings.paymentConditionDays;
  return {
    ContactGuid: input.contactGuid,
    Date: orderDate(input.order),
    Currency: input.order.currency,
    Language: "da-DK",
    ExternalReference: externalReference(input.reference),
    Description: clip(orderText(input.order.orderNumber), MAX.description),
    PaymentConditionType: days > 0 ? "Netto" : "NettoCash",
    PaymentConditionNumberOfDays: days,
    ShowLinesInclVat: false,
    ProductLines: input.lines,
  };
}

/**
 * A refund's credit note lines (R20), positive as Dinero credits them: the refunded lines at the
 * invoice's net unit prices, refunded shipping, and an amount refunded without lines, on the invoice's
 * account. Throws totals_mismatch when more is refunded than is left to credit.
 */
export function creditLines(order: CanonicalOrder, refund: CanonicalRefund, settings: Pick<DineroSettings, "accounts">, treatment: VatTreatment, creditedBefore: number): DineroProductLine[] {
  const decimals = decimalsOf(order.currency);
  return creditNoteLines(order, refund, { shippingProductNumber: "", treatment, creditedBefore }).map((l) =>
    productLine({ ...l, quantity: -l.quantity, net: -l.net }, settings.accounts[treatment], decimals),
  );
}

const clip = (s: string, max: number) => (s.length > max ? s.slice(0, max) : s);
