import { describe, expect, it } from "vitest";
import { TransferError } from "../../../src/domain/errors";
import type { CanonicalOrder } from "../../../src/domain/order";
import type { CanonicalRefund } from "../../../src/domain/refund";
import { refundTotals } from "../../../src/domain/refund";
import { creditNoteLines, creditNoteNet } from "../../../src/domain/document-plan";
import { creditNoteReference } from "../../../src/modules/economic/credit-note";

const order: CanonicalOrder = {
  shopOrderId: "5001",
  orderNumber: "#1001",
  createdAt: "2026-11-01T10:00:00.000Z",
  updatedAt: "2026-11-01T10:00:00.000Z",
  state: "paid",
  cancelled: false,
  currency: "DKK",
  pricesIncludeVat: false,
  customer: { name: "A", email: "a@example.com", company: null, countryCode: "DK", address: null, zip: null, city: null },
  lines: [
    { sku: "SKU-1", description: "T-shirt", quantity: 3, unitPriceNet: 10000, discountNet: 0, netTotal: 30000, vatRate: 2500, vatAmount: 7500 },
    { sku: "SKU-2", description: "Mug", quantity: 1, unitPriceNet: 16000, discountNet: 0, netTotal: 16000, vatRate: 2500, vatAmount: 4000 },
  ],
  shipping: [{ description: "Post", netAmount: 4000, vatRate: 2500, vatAmount: 1000 }],
  fees: [],
  totals: { net: 50000, vat: 12500, gross: 62500 },
};

function refund(parts: Partial<Pick<CanonicalRefund, "lines" | "shipping" | "amountGross">>): CanonicalRefund {
  const p = { lines: parts.lines ?? [], shipping: parts.shipping ?? { netAmount: 0, vatAmount: 0 }, amountGross: parts.amountGross ?? 0 };
  return { refundId: "901", shopOrderId: "5001", createdAt: "2026-11-02T10:00:00.000Z", currency: "DKK", ...p, totals: refundTotals(p) };
}
const opts = { shippingProductNumber: "SHIP", treatment: "domestic" as const, creditedBefore: 0 };

describe("e-conomic credit note lines (R20)", () => {
  it("a partial refund of one line: the refunded quantity negated at the invoice's net unit price", () => {
    const lines = creditNoteLines(order, refund({ lines: [{ shopLineId: "11", sku: "SKU-1", description: "T-shirt", quantity: 2, netAmount: 20000, vatAmount: 5000 }] }), opts);
    expect(lines).toEqual([{ productNumber: "SKU-1", description: "T-shirt", quantity: -2, unitNetPrice: 10000, net: -20000 }]);
  });

  it("a full refund: every line, and shipping on the shipping product, all negative; the net equals the invoice's", () => {
    const r = refund({
      lines: [
        { shopLineId: "11", sku: "SKU-1", description: "T-shirt", quantity: 3, netAmount: 30000, vatAmount: 7500 },
        { shopLineId: "12", sku: "SKU-2", description: "Mug", quantity: 1, netAmount: 16000, vatAmount: 4000 },
      ],
      shipping: { netAmount: 4000, vatAmount: 1000 },
    });
    const lines = creditNoteLines(order, r, opts);
    expect(lines.map((l) => [l.productNumber, l.quantity, l.unitNetPrice])).toEqual([["SKU-1", -3, 10000], ["SKU-2", -1, 16000], ["SHIP", -1, 4000]]);
    expect(creditNoteNet(lines)).toBe(-order.totals.net);
  });

  it("a shipping-only refund and an amount-only refund (its net inside the domestic 25 % VAT)", () => {
    expect(creditNoteLines(order, refund({ shipping: { netAmount: 4000, vatAmount: 1000 } }), opts)).toEqual([{ productNumber: "SHIP", description: "Shipping refunded", quantity: -1, unitNetPrice: 4000, net: -4000 }]);
    expect(creditNoteLines(order, refund({ amountGross: 12500 }), opts)).toEqual([{ productNumber: "SHIP", description: "Amount refunded", quantity: -1, unitNetPrice: 10000, net: -10000 }]);
    // Without VAT (an EU or abroad invoice) the whole amount is net.
    expect(creditNoteLines(order, refund({ amountGross: 12500 }), { ...opts, treatment: "eu" })[0].net).toBe(-12500);
  });

  it("a refund whose net does not divide by its quantity is held exactly", () => {
    const lines = creditNoteLines(order, refund({ lines: [{ shopLineId: "11", sku: "SKU-1", description: "T-shirt", quantity: 3, netAmount: 29999, vatAmount: 7500 }] }), opts);
    expect(creditNoteNet(lines)).toBe(-29999);
    expect(lines.every((l) => l.quantity < 0)).toBe(true);
  });

  it("a refund larger than what is left to credit is totals_mismatch with the amounts", () => {
    const r = refund({ amountGross: 30000 });
    expect(() => creditNoteLines(order, r, { ...opts, creditedBefore: 40000 })).toThrow(TransferError);
    try {
      creditNoteLines(order, r, { ...opts, creditedBefore: 40000 });
    } catch (e) {
      expect((e as TransferError).category).toBe("totals_mismatch");
      expect((e as TransferError).message).toContain("22500 left to credit");
    }
    // Exactly what is left is fine.
    expect(creditNoteLines(order, refund({ amountGross: 22500 }), { ...opts, creditedBefore: 40000 })).toHaveLength(1);
  });

  it("a refund in another currency than its invoice is refused", () => {
    expect(() => creditNoteLines(order, { ...refund({ amountGross: 100 }), currency: "EUR" }, opts)).toThrow(/in EUR, but its invoice is in DKK/);
  });

  it("the reference names the refund, the invoice and the order, each as its own word", () => {
    const words = creditNoteReference("901", "10042", "#1001", "ob:int_1").split(" ");
    expect(words).toEqual(expect.arrayContaining(["901", "10042", "#1001"]));
  });
});
