/** A Shopify order (DKK, prices without VAT, 25 % Danish VAT) and its refunds, as webhooks send them. */
import { soon } from "../transfer-helpers";

const tax = (price: string) => [{ price, rate: 0.25, title: "Moms" }];

/** Two T-shirts at 100.00, a mug at 160.00, shipping 40.00: net 400.00, VAT 100.00, gross 500.00. */
export function shopifyOrder(id: number, extra: Record<string, unknown> = {}) {
  const at = soon();
  return {
    id,
    name: `#${id}`,
    order_number: id,
    email: "buyer@example.dk",
    created_at: at,
    updated_at: at,
    currency: "DKK",
    presentment_currency: "DKK",
    taxes_included: false,
    financial_status: "paid",
    total_price: "500.00",
    total_tax: "100.00",
    billing_address: { first_name: "Bo", last_name: "Buyer", address1: "Gade 1", zip: "8000", city: "Aarhus", country_code: "DK" },
    line_items: [
      { id: 11, sku: "SKU-1", name: "T-shirt", quantity: 2, price: "100.00", tax_lines: tax("50.00") },
      { id: 12, sku: "SKU-2", name: "Mug", quantity: 1, price: "160.00", tax_lines: tax("40.00") },
    ],
    shipping_lines: [{ title: "Post", price: "40.00", tax_lines: tax("10.00") }],
    refunds: [],
    ...extra,
  };
}

const tx = (amount: string) => [{ kind: "refund", status: "success", amount, currency: "DKK" }];

export const refunds = {
  /** One T-shirt back: 100.00 + 25.00 VAT. */
  oneTee: (id: number, orderId: number) => ({
    id,
    order_id: orderId,
    created_at: soon(),
    refund_line_items: [{ line_item_id: 11, quantity: 1, subtotal: "100.00", total_tax: "25.00" }],
    transactions: tx("125.00"),
  }),
  /** Shipping only: 40.00 + 10.00 VAT. */
  shipping: (id: number, orderId: number) => ({
    id,
    order_id: orderId,
    created_at: soon(),
    refund_line_items: [],
    refund_shipping_lines: [{ shipping_line_id: 7, subtotal_amount_set: { shop_money: { amount: "40.00", currency_code: "DKK" } }, tax_amount_set: { shop_money: { amount: "10.00", currency_code: "DKK" } } }],
    transactions: tx("50.00"),
  }),
  /** An amount without lines: 30.00 gross. */
  amount: (id: number, orderId: number, gross = "30.00") => ({ id, order_id: orderId, created_at: soon(), refund_line_items: [], transactions: tx(gross) }),
  /** Everything: both lines, shipping, 500.00. */
  full: (id: number, orderId: number) => ({
    id,
    order_id: orderId,
    created_at: soon(),
    refund_line_items: [
      { line_item_id: 11, quantity: 2, subtotal: "200.00", total_tax: "50.00" },
      { line_item_id: 12, quantity: 1, subtotal: "160.00", total_tax: "40.00" },
    ],
    refund_shipping_lines: [{ shipping_line_id: 7, subtotal_amount_set: { shop_money: { amount: "40.00", currency_code: "DKK" } }, tax_amount_set: { shop_money: { amount: "10.00", currency_code: "DKK" } } }],
    transactions: tx("500.00"),
  }),
};
