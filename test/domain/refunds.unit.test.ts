import { describe, expect, it } from "vitest";
import { TransferError } from "../../src/domain/errors";
import { cancellationCredit, CANCEL_REFUND_ID } from "../../src/domain/refund";
import { shopifyRefund, shopifyRefunds } from "../../src/modules/shopify/refunds";

const money = (shop: string, presentment: string) => ({ shop_money: { amount: shop, currency_code: "DKK" }, presentment_money: { amount: presentment, currency_code: "EUR" } });

/** A DKK shop (prices without VAT) selling in EUR: two lines, shipping, paid 500 DKK / 67.00 EUR. */
const order = {
  id: 5001,
  name: "#1001",
  currency: "DKK",
  presentment_currency: "EUR",
  taxes_included: false,
  financial_status: "partially_refunded",
  line_items: [
    { id: 11, sku: "SKU-1", name: "T-shirt", quantity: 2, price: "100.00" },
    { id: 12, sku: "SKU-2", name: "Mug", quantity: 1, price: "160.00" },
  ],
  refunds: [
    {
      id: 901,
      order_id: 5001,
      created_at: "2026-11-02T10:00:00Z",
      refund_line_items: [{ line_item_id: 11, quantity: 1, subtotal: "100.00", subtotal_set: money("100.00", "13.40"), total_tax: "25.00", total_tax_set: money("25.00", "3.35") }],
      refund_shipping_lines: [],
      order_adjustments: [],
      transactions: [{ kind: "refund", status: "success", amount: "125.00", currency: "DKK" }],
    },
    {
      id: 902,
      order_id: 5001,
      created_at: "2026-11-03T10:00:00Z",
      refund_line_items: [],
      refund_shipping_lines: [{ shipping_line_id: 7, subtotal_amount_set: money("40.00", "5.36"), tax_amount_set: money("10.00", "1.34") }],
      order_adjustments: [],
      transactions: [{ kind: "refund", status: "success", amount: "50.00", currency: "DKK" }, { kind: "refund", status: "failure", amount: "50.00", currency: "DKK" }],
    },
    {
      id: 903,
      order_id: 5001,
      processed_at: "2026-11-04T10:00:00Z",
      refund_line_items: [],
      order_adjustments: [],
      transactions: [{ kind: "refund", status: "success", amount: "30.00", currency: "DKK" }],
    },
  ],
};

describe("Shopify refunds → canonical refund (R20, R24)", () => {
  it("reads a line refund, a shipping-only refund and an amount-only refund in the shop's currency", () => {
    const [line, ship, amount] = shopifyRefunds(order);
    expect(line).toEqual({
      refundId: "901",
      shopOrderId: "5001",
      createdAt: "2026-11-02T10:00:00.000Z",
      currency: "DKK",
      lines: [{ shopLineId: "11", sku: "SKU-1", description: "T-shirt", quantity: 1, netAmount: 10000, vatAmount: 2500 }],
      shipping: { netAmount: 0, vatAmount: 0 },
      amountGross: 0,
      totals: { net: 10000, vat: 2500, gross: 12500 },
    });
    // A failed refund transaction gave nothing back and does not count.
    expect(ship).toMatchObject({ refundId: "902", lines: [], shipping: { netAmount: 4000, vatAmount: 1000 }, amountGross: 0, totals: { gross: 5000 } });
    expect(amount).toMatchObject({ refundId: "903", lines: [], shipping: { netAmount: 0, vatAmount: 0 }, amountGross: 3000, totals: { net: 0, vat: 0, gross: 3000 } });
  });

  it("reads the same refund in the customer's currency with documentCurrency presentment", () => {
    const [line, ship] = shopifyRefunds(order, { documentCurrency: "presentment" });
    expect(line.currency).toBe("EUR");
    expect(line.lines[0]).toMatchObject({ netAmount: 1340, vatAmount: 335 });
    expect(ship.shipping).toEqual({ netAmount: 536, vatAmount: 134 });
    // The DKK transactions are not taken as EUR: the line-less amount is only what adjustments say.
    expect(line.amountGross).toBe(0);
  });

  it("takes the tax out of subtotals when prices include VAT, and reads old shipping adjustments", () => {
    const incl = {
      ...order,
      presentment_currency: "DKK",
      taxes_included: true,
      refunds: [
        {
          id: 77,
          created_at: "2026-11-02T10:00:00Z",
          refund_line_items: [{ line_item_id: 12, quantity: 1, subtotal: "200.00", total_tax: "40.00" }],
          order_adjustments: [{ kind: "shipping_refund", amount: "-40.00", tax_amount: "-10.00" }],
        },
      ],
    };
    const [r] = shopifyRefunds(incl);
    expect(r.lines[0]).toMatchObject({ sku: "SKU-2", description: "Mug", quantity: 1, netAmount: 16000, vatAmount: 4000 });
    expect(r.shipping).toEqual({ netAmount: 4000, vatAmount: 1000 });
    expect(r.totals).toEqual({ net: 20000, vat: 5000, gross: 25000 });
  });

  it("reads a refunds/create body with its order and refuses one of another order", () => {
    const r = shopifyRefund(order.refunds[0], order);
    expect(r.refundId).toBe("901");
    expect(r.totals.gross).toBe(12500);
    expect(() => shopifyRefund({ ...order.refunds[0], order_id: 6000 }, order)).toThrow(TransferError);
    expect(() => shopifyRefund("nope", order)).toThrow(/not a refund object/);
    expect(() => shopifyRefund({ ...order.refunds[0], refund_line_items: [{ quantity: -1, subtotal: "1.00" }] }, order)).toThrow(/negative/);
  });
});

describe("R21: a cancellation credits what is not refunded yet", () => {
  const canonical = { shopOrderId: "5001", currency: "DKK", totals: { gross: 50000 } };
  it("credits the rest as one amount", () => {
    const refunds = shopifyRefunds(order);
    const c = cancellationCredit(canonical, refunds, "2026-11-05T00:00:00.000Z");
    expect(c).toMatchObject({ refundId: CANCEL_REFUND_ID, lines: [], amountGross: 50000 - 12500 - 5000 - 3000, totals: { gross: 29500 } });
  });
  it("credits nothing when the refunds cover the order", () => {
    const refunds = shopifyRefunds(order);
    expect(cancellationCredit({ ...canonical, totals: { gross: 20500 } }, refunds, "2026-11-05T00:00:00.000Z")).toBeNull();
  });
});
