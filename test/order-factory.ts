import { vatOfNet } from "../src/domain/money";
import type { CanonicalOrder, ChargeLine, Customer, OrderLine } from "../src/domain/order";

// ---------------------------------------------------------------- order factory

export function line(sku: string | null, quantity: number, unitPriceNet: number, opts: { discountNet?: number; vatRate?: number; description?: string } = {}): OrderLine {
  const discountNet = opts.discountNet ?? 0;
  const netTotal = quantity * unitPriceNet - discountNet;
  const vatRate = opts.vatRate ?? 2500;
  return { sku, description: opts.description ?? `Product ${sku}`, quantity, unitPriceNet, discountNet, netTotal, vatRate, vatAmount: vatOfNet(netTotal, vatRate) };
}

export function charge(netAmount: number, vatRate = 2500, description = "Shipping"): ChargeLine {
  return { description, netAmount, vatRate, vatAmount: vatOfNet(netAmount, vatRate) };
}

let seq = 1000;

/** A Danish order with 25 % VAT: 2 × SKU-1 at 100.00 and shipping 39.00; totals from the lines unless given. */
export function order(over: Partial<Omit<CanonicalOrder, "customer">> & { customer?: Partial<Customer> } = {}): CanonicalOrder {
  const n = ++seq;
  const lines = over.lines ?? [line("SKU-1", 2, 10000)];
  const shipping = over.shipping ?? [charge(3900)];
  const fees = over.fees ?? [];
  const amounts = [...lines.map((l) => [l.netTotal, l.vatAmount]), ...[...shipping, ...fees].map((c) => [c.netAmount, c.vatAmount])];
  const net = amounts.reduce((s, a) => s + a[0], 0);
  const vat = amounts.reduce((s, a) => s + a[1], 0);
  return {
    shopOrderId: String(450789000 + n),
    orderNumber: `#${n}`,
    createdAt: "2025-06-10T10:00:00Z",
    updatedAt: "2025-06-10T10:00:00Z",
    state: "paid",
    cancelled: false,
    currency: "DKK",
    pricesIncludeVat: true,
    lines,
    shipping,
    fees,
    totals: { net, vat, gross: net + vat },
    note: null,
    ...over,
    customer: {
      name: "Test Buyer",
      email: `buyer${n}@example.com`,
      company: null,
      countryCode: "DK",
      address: "Testvej 1",
      zip: "7000",
      city: "Fredericia",
      ...over.customer,
    },
  };
}

