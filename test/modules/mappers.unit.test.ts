import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TransferError } from "../../src/domain/errors";
import {
  divideRounded,
  formatMinor,
  formatMinorString,
  fractionToBasisPoints,
  impliedRate,
  moneyField,
  parseMinor,
  parseQuantity,
  percentToBasisPoints,
  rateToBasisPoints,
  splitGross,
  tryParseMinor,
  unitAndDiscount,
  vatOfNet,
} from "../../src/domain/money";
import type { CanonicalOrder } from "../../src/domain/order";
import { magentoAdapter, magentoOrder } from "../../src/modules/magento/mapper";
import { shopifyAdapter, shopifyOrder } from "../../src/modules/shopify/mapper";
import { woocommerceAdapter, woocommerceOrder } from "../../src/modules/woocommerce/mapper";
import magentoDocs from "../fixtures/magento/order-get-v1-orders-3-docs.json";
import magentoDk from "../fixtures/magento/own-dk-25-configurable-discount.json";
import shopifyClassic from "../fixtures/shopify/order-rest-classic.json";
import shopifyAud from "../fixtures/shopify/orders-create-webhook-2020-dev-store-aud-gst.json";
import shopifyHkd from "../fixtures/shopify/orders-create-webhook-2025-dev-store-hkd-discounts.json";
import shopifyDk from "../fixtures/shopify/own-dk-25-taxes-included-discount-shipping.json";
import shopifyUs from "../fixtures/shopify/own-us-no-vat-no-sku-tip.json";
import woo727 from "../fixtures/woocommerce/order-rest-v3-docs-727.json";
import wooDe from "../fixtures/woocommerce/own-de-b2b-no-vat-fee.json";
import wooDk from "../fixtures/woocommerce/own-dk-25-coupon-free-shipping.json";

const clone = <T>(x: T): any => JSON.parse(JSON.stringify(x));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Lines + shipping + fees add up to the shop's totals, exactly, and every line is self-consistent. */
function expectConsistent(o: CanonicalOrder, opts: { totals?: boolean } = {}) {
  for (const l of o.lines) {
    expect(Number.isInteger(l.unitPriceNet) && Number.isInteger(l.discountNet) && Number.isInteger(l.vatAmount)).toBe(true);
    expect(l.quantity * l.unitPriceNet - l.discountNet).toBe(l.netTotal);
    expect(l.discountNet).toBeGreaterThanOrEqual(0);
  }
  expect(o.totals.net + o.totals.vat).toBe(o.totals.gross);
  if (opts.totals === false) return;
  const net = sum(o.lines.map((l) => l.netTotal)) + sum(o.shipping.map((s) => s.netAmount)) + sum(o.fees.map((f) => f.netAmount));
  expect(net).toBe(o.totals.net);
  const vat = sum(o.lines.map((l) => l.vatAmount)) + sum(o.shipping.map((s) => s.vatAmount)) + sum(o.fees.map((f) => f.vatAmount));
  expect(vat).toBe(o.totals.vat);
}

function expectInvalid(fn: () => unknown, field: string) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TransferError);
  expect((err as TransferError).category).toBe("invalid_order");
  expect((err as TransferError).message).toContain(field);
}

describe("money", () => {
  it("parses decimal strings and numbers exactly into minor units", () => {
    expect(parseMinor("10.00", 2)).toBe(1000);
    expect(parseMinor("100.000000", 2)).toBe(10000);
    expect(parseMinor("2.5", 2)).toBe(250);
    expect(parseMinor(19.99, 2)).toBe(1999);
    expect(parseMinor(3, 2)).toBe(300);
    expect(parseMinor("0", 2)).toBe(0);
    expect(parseMinor(".5", 2)).toBe(50);
    expect(parseMinor("5.", 2)).toBe(500);
    expect(parseMinor("+1.5", 2)).toBe(150);
    expect(parseMinor(" 10.00 ", 2)).toBe(1000);
    expect(parseMinor("1e3", 2)).toBe(100000);
    expect(parseMinor("1.5E-1", 2)).toBe(15);
    expect(parseMinor("-12.34", 2)).toBe(-1234);
    expect(parseMinor("53.9725", 2)).toBe(5397);
    expect(parseMinor("1234567890123.45", 2)).toBe(123456789012345);
  });

  it("adds 0.1 + 0.2 exactly", () => {
    expect(parseMinor("0.1", 2) + parseMinor("0.2", 2)).toBe(30);
    expect(parseMinor(0.1, 2) + parseMinor(0.2, 2)).toBe(parseMinor("0.3", 2));
    // a float sum that already went wrong is still read as the nearest cent
    expect(parseMinor(0.1 + 0.2, 2)).toBe(30);
    expect(parseMinor(1.005, 2)).toBe(101); // String(1.005) is "1.005": no binary error creeps in
  });

  it("rounds half away from zero at the second decimal", () => {
    expect(parseMinor("2.345", 2)).toBe(235);
    expect(parseMinor("2.3449999", 2)).toBe(234);
    expect(parseMinor("-2.345", 2)).toBe(-235);
    expect(parseMinor("-3.005", 2)).toBe(-301);
    expect(parseMinor("-0.004", 2)).toBe(0);
    expect(parseMinor("-0.005", 2)).toBe(-1);
    expect(parseMinor("0.005", 2)).toBe(1);
    expect(parseMinor("1234.5", 0)).toBe(1235);
    expect(parseMinor("1.2345", 3)).toBe(1235);
  });

  it("refuses what is not a decimal number", () => {
    for (const bad of ["", " ", "abc", "1.2.3", "12,00", "1e", "--1", ".", "0x10", "1 000"]) {
      expect(() => parseMinor(bad, 2), bad).toThrow();
      expect(tryParseMinor(bad, 2)).toBeNull();
    }
    expect(() => parseMinor(Number.NaN, 2)).toThrow();
    expect(() => parseMinor(Number.POSITIVE_INFINITY, 2)).toThrow();
    expect(() => parseMinor(null as unknown as string, 2)).toThrow();
    expect(() => parseMinor("1e30", 2)).toThrow(/range/);
    expect(tryParseMinor({}, 2)).toBeNull();
  });

  it("moneyField names the field and applies a fallback only for missing values", () => {
    expect(moneyField(2)(undefined, "x", 0)).toBe(0);
    expect(moneyField(2)(null, "x", 7)).toBe(7);
    expect(moneyField(2)("", "x", 0)).toBe(0);
    expect(moneyField(2)("1.25", "x")).toBe(125);
    expectInvalid(() => moneyField(2)(undefined, "line_items[0].price"), "line_items[0].price is missing");
    expectInvalid(() => moneyField(2)("abc", "line_items[0].price", 0), "line_items[0].price is not a number");
  });

  it("parses quantities", () => {
    expect(parseQuantity("1.0000")).toBe(1);
    expect(parseQuantity(3)).toBe(3);
    expect(parseQuantity("2.5")).toBe(2.5);
  });

  it("converts VAT rates to basis points", () => {
    expect(fractionToBasisPoints(0.25)).toBe(2500);
    expect(fractionToBasisPoints("0.1")).toBe(1000);
    expect(fractionToBasisPoints(0.06)).toBe(600);
    expect(fractionToBasisPoints(0.08875)).toBe(888);
    expect(percentToBasisPoints("25.0000")).toBe(2500);
    expect(percentToBasisPoints(25)).toBe(2500);
    expect(percentToBasisPoints("7.5")).toBe(750);
    expect(percentToBasisPoints(0)).toBe(0);
    expect(rateToBasisPoints(0.25)).toBe(2500);
    expect(rateToBasisPoints("25.0000")).toBe(2500);
    expect(rateToBasisPoints(25)).toBe(2500);
    expect(rateToBasisPoints("0.0000")).toBe(0);
    expect(rateToBasisPoints(1)).toBe(100);
    expect(impliedRate(1800, 135)).toBe(750);
    expect(impliedRate(0, 0)).toBe(0);
  });

  it("splits gross amounts into net and VAT with integer rounding", () => {
    expect(splitGross(12500, 2500)).toEqual({ net: 10000, vat: 2500 });
    expect(splitGross(9995, 2500)).toEqual({ net: 7996, vat: 1999 });
    expect(splitGross(3, 2500)).toEqual({ net: 2, vat: 1 }); // 0.6 → 1
    expect(splitGross(1, 2500)).toEqual({ net: 1, vat: 0 }); // 0.2 → 0
    expect(splitGross(-12500, 2500)).toEqual({ net: -10000, vat: -2500 });
    expect(splitGross(4900, 0)).toEqual({ net: 4900, vat: 0 });
    expect(vatOfNet(10000, 2500)).toBe(2500);
    expect(vatOfNet(1999, 2500)).toBe(500); // 499.75
    expect(vatOfNet(2, 2500)).toBe(1); // 0.5 → 1
    expect(vatOfNet(-2, 2500)).toBe(-1); // −0.5 → −1
  });

  it("splitGross: net + vat = gross and VAT within half a minor unit (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 10000 }), (gross, rate) => {
        const { net, vat } = splitGross(gross, rate);
        expect(net + vat).toBe(gross);
        expect(Math.abs(vat * (10000 + rate) - gross * rate)).toBeLessThanOrEqual((10000 + rate) / 2);
      }),
    );
  });

  it("divides with rounding", () => {
    expect(divideRounded(5, 2)).toBe(3);
    expect(divideRounded(-5, 2)).toBe(-3);
    expect(divideRounded(5, -2)).toBe(-3);
    expect(divideRounded(4, 3)).toBe(1);
    expect(() => divideRounded(1, 0)).toThrow();
  });

  it("formats minor units for external APIs", () => {
    expect(formatMinor(12345, 2)).toBe(123.45);
    expect(formatMinor(-5, 2)).toBe(-0.05);
    expect(formatMinor(0, 2)).toBe(0);
    expect(formatMinor(100, 2)).toBe(1);
    expect(formatMinorString(100, 2)).toBe("1.00");
    expect(formatMinorString(-12345, 2)).toBe("-123.45");
    expect(formatMinorString(7, 2)).toBe("0.07");
    expect(formatMinorString(5, 0)).toBe("5");
    expect(formatMinorString(1235, 3)).toBe("1.235");
    expect(() => formatMinor(1.5, 2)).toThrow();
    fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e12 }), (n) => parseMinor(formatMinor(n, 2), 2) === n));
  });

  it("derives unit price and discount so that the line adds up", () => {
    expect(unitAndDiscount(2, 16000, 14400)).toEqual({ unitPriceNet: 8000, discountNet: 1600 });
    expect(unitAndDiscount(3, 23988, 21589)).toEqual({ unitPriceNet: 7996, discountNet: 2399 });
    expect(unitAndDiscount(3, 100, 100)).toEqual({ unitPriceNet: 34, discountNet: 2 }); // remainder in the discount
    expect(unitAndDiscount(0, 0, 0)).toEqual({ unitPriceNet: 0, discountNet: 0 });
  });
});

describe("shopify mapper", () => {
  it("maps a Danish order with VAT included, a discount and paid shipping", () => {
    const o = shopifyOrder(shopifyDk);
    expect(o).toMatchObject({
      shopOrderId: "5820000000001",
      orderNumber: "#2001",
      createdAt: "2025-03-01T09:15:00.000Z",
      updatedAt: "2025-03-01T09:16:30.000Z",
      state: "paid",
      cancelled: false,
      currency: "DKK",
      pricesIncludeVat: true,
      note: "Ring på døren",
    });
    // 2 × 100.00 incl. VAT − 20.00 discount incl. VAT = 180.00, of which 36.00 VAT → net 144.00.
    expect(o.lines).toEqual([
      { sku: "MUG-01", description: "Krus - Hvid", quantity: 2, unitPriceNet: 8000, discountNet: 1600, netTotal: 14400, vatRate: 2500, vatAmount: 3600 },
      { sku: "TEE-RED-M", description: "T-shirt - Rød / M", quantity: 3, unitPriceNet: 7996, discountNet: 0, netTotal: 23988, vatRate: 2500, vatAmount: 5997 },
    ]);
    expect(o.shipping).toEqual([{ description: "PostNord Pakke", netAmount: 3920, vatRate: 2500, vatAmount: 980 }]);
    expect(o.fees).toEqual([]);
    expect(o.totals).toEqual({ gross: 52885, vat: 10577, net: 42308 });
    expect(o.customer).toEqual({
      name: "Karen Jensen",
      email: "kunde@example.dk",
      company: "Jensen Keramik ApS",
      countryCode: "DK",
      address: "Nørregade 12, 2. th",
      zip: "1165",
      city: "København K",
    });
    expectConsistent(o);
  });

  it("maps a US order without VAT, a line without SKU and a tip", () => {
    const o = shopifyOrder(shopifyUs);
    expect(o).toMatchObject({ shopOrderId: "5820000000002", orderNumber: "#2002", state: "partially_paid", currency: "USD", pricesIncludeVat: false });
    expect(o.createdAt).toBe("2025-03-02T23:00:00.000Z");
    expect(o.lines).toEqual([
      { sku: "POSTER-A2", description: "Poster", quantity: 1, unitPriceNet: 4999, discountNet: 0, netTotal: 4999, vatRate: 0, vatAmount: 0 },
      { sku: null, description: "Gift wrapping", quantity: 3, unitPriceNet: 500, discountNet: 0, netTotal: 1500, vatRate: 0, vatAmount: 0 },
    ]);
    expect(o.shipping).toEqual([{ description: "USPS Ground", netAmount: 500, vatRate: 0, vatAmount: 0 }]);
    expect(o.fees).toEqual([{ description: "Tip", netAmount: 200, vatRate: 0, vatAmount: 0 }]);
    expect(o.totals).toEqual({ gross: 7199, vat: 0, net: 7199 });
    // no billing address: name from the customer, email from customer.email, country from the shipping address
    expect(o.customer).toEqual({ name: "Jane Smith", email: "jane@example.com", company: null, countryCode: "US", address: "1 Main St", zip: "97201", city: "Portland" });
    expectConsistent(o);
  });

  it("maps the 2020 AUD webhook with GST", () => {
    const o = shopifyOrder(shopifyAud);
    expect(o).toMatchObject({
      shopOrderId: "2998557704341",
      orderNumber: "#1030",
      createdAt: "2020-12-26T21:23:58.000Z",
      updatedAt: "2020-12-26T21:23:59.000Z",
      state: "paid",
      cancelled: false,
      currency: "AUD",
      pricesIncludeVat: false,
      note: null,
    });
    expect(o.lines).toEqual([
      { sku: null, description: "Classic Fountain Pen - Fine / Bordeaux", quantity: 1, unitPriceNet: 4495, discountNet: 0, netTotal: 4495, vatRate: 1000, vatAmount: 450 },
    ]);
    expect(o.shipping).toEqual([{ description: "Standard", netAmount: 1000, vatRate: 0, vatAmount: 0 }]);
    expect(o.totals).toEqual({ gross: 5945, vat: 450, net: 5495 });
    expect(o.customer).toEqual({ name: "Test Buyer", email: "buyer@example.com", company: null, countryCode: "AU", address: "Testvej 1", zip: "1000", city: "Testby" });
    expectConsistent(o);
  });

  it("maps the 2025 HKD webhook with discount allocations", () => {
    const o = shopifyOrder(shopifyHkd);
    expect(o).toMatchObject({ shopOrderId: "6200360403244", orderNumber: "#1070", createdAt: "2025-01-24T03:16:37.000Z", state: "paid", currency: "HKD" });
    expect(o.lines.map((l) => [l.sku, l.quantity, l.unitPriceNet, l.discountNet, l.netTotal, l.vatRate, l.vatAmount])).toEqual([
      [null, 1, 9900, 820, 9080, 0, 0],
      [null, 1, 10000, 340, 9660, 0, 0],
      [null, 1, 10000, 340, 9660, 0, 0],
    ]);
    expect(o.shipping).toEqual([{ description: "trans", netAmount: 2000, vatRate: 0, vatAmount: 0 }]);
    expect(o.totals).toEqual({ gross: 30400, vat: 0, net: 30400 });
    expect(o.customer.countryCode).toBe("HK");
    expect(o.customer.name).toBe("Test Buyer");
    expect(o.customer.address).toBeNull(); // empty strings are null
    expectConsistent(o);
  });

  it("maps the classic REST sample (tax only at order level)", () => {
    const o = shopifyOrder(shopifyClassic);
    expect(o).toMatchObject({
      shopOrderId: "450789469",
      orderNumber: "#1001",
      createdAt: "2008-01-10T16:00:00.000Z",
      state: "authorized",
      cancelled: false,
      currency: "USD",
    });
    expect(o.lines.map((l) => [l.sku, l.quantity, l.unitPriceNet, l.netTotal, l.vatAmount])).toEqual([
      ["IPOD2008GREEN", 1, 19900, 19900, 0],
      ["IPOD2008RED", 1, 19900, 19900, 0],
      ["IPOD2008BLACK", 1, 19900, 19900, 0],
    ]);
    expect(o.shipping).toEqual([{ description: "Free Shipping", netAmount: 0, vatRate: 0, vatAmount: 0 }]);
    expect(o.totals).toEqual({ gross: 40994, vat: 1194, net: 39800 });
    expect(o.customer).toMatchObject({ name: "Bob Norman", email: "bob.norman@hostmail.com", countryCode: "US" });
    // This 2008 sample is not self-consistent (3 lines of 199.00 but total_line_items_price 398.00, and
    // the tax only at order level), so only the per-line invariants are checked.
    expectConsistent(o, { totals: false });
  });

  it("marks cancelled orders and reads ids given as strings", () => {
    const raw = clone(shopifyAud);
    raw.cancelled_at = "2020-12-28T10:00:00+11:00";
    raw.id = "2998557704341";
    const o = shopifyOrder(raw);
    expect(o.cancelled).toBe(true);
    expect(o.shopOrderId).toBe("2998557704341");
  });

  it("missing email, country and SKU are not invalid_order", () => {
    const raw = clone(shopifyAud);
    raw.email = null;
    raw.contact_email = "";
    delete raw.customer;
    delete raw.billing_address;
    delete raw.shipping_address;
    raw.line_items[0].sku = null;
    const o = shopifyOrder(raw);
    expect(o.customer).toEqual({ name: null, email: null, company: null, countryCode: null, address: null, zip: null, city: null });
    expect(o.lines[0].sku).toBeNull();
  });

  it("throws invalid_order naming the field", () => {
    const mut = (f: (r: any) => void) => {
      const r = clone(shopifyDk);
      f(r);
      return () => shopifyOrder(r);
    };
    expectInvalid(mut((r) => delete r.id), "id is missing");
    expectInvalid(mut((r) => delete r.created_at), "created_at is missing");
    expectInvalid(mut((r) => (r.created_at = "yesterday")), "created_at is not a valid time");
    expectInvalid(mut((r) => (r.line_items[1].price = "abc")), "line_items[1].price is not a number");
    expectInvalid(mut((r) => delete r.line_items[0].price), "line_items[0].price is missing");
    expectInvalid(mut((r) => (r.line_items[0].quantity = -1)), "line_items[0].quantity is negative");
    expectInvalid(mut((r) => (r.line_items[0].quantity = 1.5)), "line_items[0].quantity is not a whole number");
    expectInvalid(mut((r) => (r.line_items[0].tax_lines[0].price = "x")), "line_items[0].tax_lines[0].price");
    expectInvalid(mut((r) => (r.shipping_lines[0].price = {})), "shipping_lines[0].price");
    expectInvalid(mut((r) => (r.total_price = "NaN")), "total_price");
    expectInvalid(mut((r) => (r.line_items = "nope")), "line_items is not a list");
    expectInvalid(() => shopifyOrder(null), "not an order object");
    expectInvalid(() => shopifyOrder([]), "not an order object");
  });

  it("adapter: allowed states default to paid, partially paid and (partially) refunded (R5)", () => {
    expect(shopifyAdapter.allowedStates({})).toEqual(["paid", "partially_paid", "partially_refunded", "refunded"]);
    expect(shopifyAdapter.allowedStates({ allowedFinancialStatuses: ["paid"] })).toEqual(["paid"]);
    expect(shopifyAdapter.toOrder(shopifyDk, {}).shopOrderId).toBe("5820000000001");
  });
});

describe("woocommerce mapper", () => {
  it("maps the REST v3 docs order 727", () => {
    const o = woocommerceOrder(woo727);
    expect(o).toMatchObject({
      shopOrderId: "727",
      orderNumber: "727",
      createdAt: "2017-03-22T19:28:02.000Z",
      updatedAt: "2017-03-22T19:28:08.000Z",
      state: "processing",
      cancelled: false,
      currency: "USD",
      pricesIncludeVat: false,
    });
    // no rate_percent in this (pre-3.7) sample: the rate is derived from the amounts taxed by rate 75
    expect(o.lines).toEqual([
      { sku: null, description: "Woo Single #1", quantity: 2, unitPriceNet: 300, discountNet: 0, netTotal: 600, vatRate: 750, vatAmount: 45 },
      { sku: "Bar3", description: "Ship Your Idea &ndash; Color: Black, Size: M Test", quantity: 1, unitPriceNet: 1200, discountNet: 0, netTotal: 1200, vatRate: 750, vatAmount: 90 },
    ]);
    expect(o.shipping).toEqual([{ description: "Flat Rate", netAmount: 1000, vatRate: 0, vatAmount: 0 }]);
    expect(o.fees).toEqual([]);
    expect(o.totals).toEqual({ gross: 2935, vat: 135, net: 2800 });
    expect(o.customer).toEqual({ name: "John Doe", email: "john.doe@example.com", company: null, countryCode: "US", address: "969 Market", zip: "94103", city: "San Francisco" });
    expectConsistent(o);
  });

  it("maps a Danish 25 % order with a coupon and free shipping", () => {
    const o = woocommerceOrder(wooDk);
    expect(o).toMatchObject({ shopOrderId: "1501", orderNumber: "1501", state: "processing", currency: "DKK", createdAt: "2025-03-03T11:30:00.000Z", updatedAt: "2025-03-03T11:31:00.000Z", note: null });
    expect(o.lines).toEqual([
      { sku: "MUG-01", description: "Krus", quantity: 2, unitPriceNet: 8000, discountNet: 1600, netTotal: 14400, vatRate: 2500, vatAmount: 3600 },
      { sku: "TEE-RED-M", description: "T-shirt - Rød, M", quantity: 3, unitPriceNet: 7996, discountNet: 2399, netTotal: 21589, vatRate: 2500, vatAmount: 5397 },
    ]);
    expect(o.shipping).toEqual([{ description: "Gratis fragt", netAmount: 0, vatRate: 0, vatAmount: 0 }]);
    expect(o.totals).toEqual({ gross: 44986, vat: 8997, net: 35989 });
    expect(o.customer).toEqual({ name: "Mads Nielsen", email: "mads@example.dk", company: null, countryCode: "DK", address: "Vestergade 3", zip: "8000", city: "Aarhus C" });
    expectConsistent(o);
  });

  it("maps a German B2B order without VAT, with a fee and a line without SKU", () => {
    const o = woocommerceOrder(wooDe);
    expect(o).toMatchObject({ shopOrderId: "1502", orderNumber: "WC-1502", state: "completed", currency: "EUR", pricesIncludeVat: true, note: "USt-IdNr. DE123456789" });
    expect(o.lines).toEqual([
      { sku: "VASE-L", description: "Vase", quantity: 2, unitPriceNet: 2500, discountNet: 0, netTotal: 5000, vatRate: 0, vatAmount: 0 },
      { sku: null, description: "Skål", quantity: 1, unitPriceNet: 5000, discountNet: 0, netTotal: 5000, vatRate: 0, vatAmount: 0 },
    ]);
    expect(o.shipping).toEqual([{ description: "DHL Express", netAmount: 1500, vatRate: 0, vatAmount: 0 }]);
    expect(o.fees).toEqual([{ description: "Handling fee", netAmount: 250, vatRate: 0, vatAmount: 0 }]);
    expect(o.totals).toEqual({ gross: 11750, vat: 0, net: 11750 });
    expect(o.customer).toEqual({ name: "Hans Müller", email: "einkauf@beispiel.de", company: "Beispiel GmbH", countryCode: "DE", address: "Hauptstraße 5", zip: "10115", city: "Berlin", vatNumber: "DE123456789" });
    expectConsistent(o);
  });

  it("takes rate_percent from tax_lines when present, and cancelled from the status", () => {
    const raw = clone(woo727);
    raw.tax_lines[0].rate_percent = 7.5;
    raw.status = "cancelled";
    const o = woocommerceOrder(raw);
    expect(o.lines.map((l) => l.vatRate)).toEqual([750, 750]);
    expect(o.cancelled).toBe(true);
    expect(o.state).toBe("cancelled");
  });

  it("reads GMT times with an explicit zone too", () => {
    const raw = clone(woo727);
    raw.date_created_gmt = "2017-03-22T19:28:02Z";
    expect(woocommerceOrder(raw).createdAt).toBe("2017-03-22T19:28:02.000Z");
  });

  it("missing email and country are not invalid_order", () => {
    const raw = clone(woo727);
    raw.billing.email = "";
    raw.billing.country = "";
    raw.shipping.country = "";
    const o = woocommerceOrder(raw);
    expect(o.customer.email).toBeNull();
    expect(o.customer.countryCode).toBeNull();
  });

  it("throws invalid_order naming the field", () => {
    const mut = (f: (r: any) => void) => {
      const r = clone(wooDk);
      f(r);
      return () => woocommerceOrder(r);
    };
    expectInvalid(mut((r) => delete r.id), "id is missing");
    expectInvalid(mut((r) => delete r.date_created_gmt), "date_created_gmt is missing");
    expectInvalid(mut((r) => (r.date_created_gmt = "2025-13-45T99:00:00")), "date_created_gmt is not a valid time");
    expectInvalid(mut((r) => (r.line_items[0].total = "144,00")), "line_items[0].total is not a number");
    expectInvalid(mut((r) => (r.line_items[1].quantity = -3)), "line_items[1].quantity is negative");
    expectInvalid(mut((r) => (r.line_items[0].taxes[0].total = "x")), "line_items[0].taxes[0].total");
    expectInvalid(mut((r) => (r.total = null)), "total is missing");
    expectInvalid(mut((r) => delete r.currency), "currency is missing");
    expectInvalid(() => woocommerceOrder("{}"), "not an order object");
  });

  it("adapter: allowed states default to processing and completed", () => {
    expect(woocommerceAdapter.allowedStates({})).toEqual(["processing", "completed", "refunded"]);
    expect(woocommerceAdapter.allowedStates({ allowedStatuses: ["completed"] })).toEqual(["completed"]);
  });
});

describe("magento mapper", () => {
  it("maps the docs order 3: one line per sold product, bundle children priced, configurable once", () => {
    const o = magentoOrder(magentoDocs);
    expect(o).toMatchObject({
      shopOrderId: "3",
      orderNumber: "000000003",
      createdAt: "2017-08-21T22:22:19.000Z",
      updatedAt: "2017-08-21T22:22:20.000Z",
      state: "pending",
      cancelled: false,
      currency: "USD",
    });
    expect(o.lines.map((l) => [l.sku, l.quantity, l.unitPriceNet, l.discountNet, l.netTotal, l.vatRate, l.vatAmount])).toEqual([
      ["WS12-M-Orange", 1, 2200, 0, 2200, 0, 0],
      ["240-LV08", 1, 1800, 0, 1800, 0, 0],
      // dynamic-price bundle "Sprite Yoga Companion Kit" (68.00) as its four priced children
      ["24-WG082-blue", 1, 2700, 0, 2700, 0, 0],
      ["24-WG084", 1, 500, 0, 500, 0, 0],
      ["24-WG086", 1, 1700, 0, 1700, 0, 0],
      ["24-WG088", 1, 1900, 0, 1900, 0, 0],
      // configurable: parent's price, child's SKU
      ["MH01-S-Gray", 1, 5200, 0, 5200, 0, 0],
    ]);
    expect(o.lines[6].description).toBe("Chaz Kangeroo Hoodie");
    expect(o.shipping).toEqual([{ description: "Best Way - Table Rate", netAmount: 500, vatRate: 0, vatAmount: 0 }]);
    expect(o.fees).toEqual([]);
    expect(o.totals).toEqual({ gross: 16500, vat: 0, net: 16500 });
    expect(o.customer).toEqual({ name: "Jane Doe", email: "jdoe@example.com", company: null, countryCode: "US", address: "123 Oak Ave", zip: "10577", city: "Purchase" });
    expectConsistent(o);
  });

  it("maps a Danish order with 25 % VAT, a discounted configurable and string amounts", () => {
    const o = magentoOrder(magentoDk);
    expect(o).toMatchObject({ shopOrderId: "41", orderNumber: "000000041", state: "processing", currency: "DKK", createdAt: "2025-03-06T08:45:10.000Z" });
    expect(o.lines).toEqual([
      { sku: "MH01-S-Gray-CHILD", description: "Chaz Kangeroo Hoodie", quantity: 2, unitPriceNet: 8000, discountNet: 1600, netTotal: 14400, vatRate: 2500, vatAmount: 3600 },
      { sku: "240-LV08", description: "Yoga guide", quantity: 1, unitPriceNet: 1800, discountNet: 0, netTotal: 1800, vatRate: 2500, vatAmount: 450 },
    ]);
    expect(o.shipping).toEqual([{ description: "GLS - Pakkeshop", netAmount: 4000, vatRate: 2500, vatAmount: 1000 }]);
    expect(o.totals).toEqual({ gross: 25250, vat: 5050, net: 20200 });
    // guest: name from the billing address
    expect(o.customer).toEqual({ name: "Lise Hansen", email: "lise@example.dk", company: null, countryCode: "DK", address: "Algade 7, 1. sal", zip: "4000", city: "Roskilde" });
    expectConsistent(o);
  });

  it("a fixed-price bundle (children at 0) is one line: the parent", () => {
    const raw = clone(magentoDocs);
    for (const item of raw.items) {
      if (item.parent_item_id === 5) {
        item.price = 0;
        item.base_price = 0;
        item.row_total = 0;
      }
    }
    const o = magentoOrder(raw);
    expect(o.lines.map((l) => [l.sku, l.netTotal])).toEqual([
      ["WS12-M-Orange", 2200],
      ["240-LV08", 1800],
      ["24-WG080-24-WG084-24-WG088-24-WG082-blue-24-WG086", 6800],
      ["MH01-S-Gray", 5200],
    ]);
    expectConsistent(o);
  });

  it("falls back to the parent's SKU when the configurable child has none", () => {
    const raw = clone(magentoDk);
    raw.items[1].sku = null;
    expect(magentoOrder(raw).lines[0].sku).toBe("MH01-S-Gray");
  });

  it("marks canceled orders", () => {
    const raw = clone(magentoDk);
    raw.state = "canceled";
    raw.status = "canceled";
    expect(magentoOrder(raw).cancelled).toBe(true);
  });

  it("throws invalid_order naming the field", () => {
    const mut = (f: (r: any) => void) => {
      const r = clone(magentoDk);
      f(r);
      return () => magentoOrder(r);
    };
    expectInvalid(mut((r) => delete r.entity_id), "entity_id is missing");
    expectInvalid(mut((r) => delete r.created_at), "created_at is missing");
    expectInvalid(mut((r) => (r.created_at = "not a date")), "created_at is not a valid time");
    expectInvalid(mut((r) => (r.items[2].qty_ordered = "-1.0000")), "items[2].qty_ordered is negative");
    expectInvalid(mut((r) => (r.items[2].qty_ordered = "abc")), "items[2].qty_ordered is not a number");
    // The document is in the base currency by default (R24): its base_* amounts are read.
    expectInvalid(mut((r) => (r.items[2].base_price = "18,00")), "items[2].base_price is not a number");
    expectInvalid(() => magentoOrder({ ...clone(magentoDk), items: [{ ...clone(magentoDk).items[2], price: "18,00" }] }, { documentCurrency: "presentment" }), "items[0].price is not a number");
    expectInvalid(mut((r) => ((r.grand_total = undefined), (r.base_grand_total = undefined))), "grand_total is missing");
    expectInvalid(mut((r) => delete r.order_currency_code), "order_currency_code is missing");
    expectInvalid(mut((r) => (r.order_currency_code = "XYZ")), 'order currency "XYZ" is not an ISO 4217 currency code');
  });

  it("adapter: allowed states default to processing and complete", () => {
    expect(magentoAdapter.allowedStates({})).toEqual(["processing", "complete"]);
    expect(magentoAdapter.allowedStates({ allowedStatuses: ["complete"] })).toEqual(["complete"]);
  });
});

describe("the buyer's VAT number (a company in collective customer mode keeps its own customer)", () => {
  it("WooCommerce: from the EU VAT plugins' order meta data", () => {
    const raw = { ...wooDe, meta_data: [{ id: 1, key: "_billing_vat_number", value: "DE123456789" }] };
    expect(woocommerceAdapter.toOrder(raw, {}).customer.vatNumber).toBe("DE123456789");
    expect(woocommerceAdapter.toOrder({ ...wooDe, meta_data: [{ id: 1, key: "_billing_phone_2", value: "x" }] }, {}).customer.vatNumber).toBeUndefined();
  });
  it("Magento: the address's vat_id, else the customer's taxvat", () => {
    expect(magentoAdapter.toOrder({ ...magentoDk, billing_address: { ...magentoDk.billing_address, vat_id: "DK12345678" } }, {}).customer.vatNumber).toBe("DK12345678");
    expect(magentoAdapter.toOrder({ ...magentoDk, customer_taxvat: "DK87654321" }, {}).customer.vatNumber).toBe("DK87654321");
  });
});
