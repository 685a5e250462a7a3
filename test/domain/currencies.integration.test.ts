/**
 * R24: every amount in its currency's own minor units (ISO 4217), the document currency chosen per
 * integration (shop or presentment), and the exchange rate the shop's two totals imply.
 */
import fc from "fast-check";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client";
import { currencyDecimals, formatAmount, requireCurrency } from "../../src/domain/currency";
import { TransferError } from "../../src/domain/errors";
import { formatMinorString, impliedExchangeRate, parseMinor, representable, vatOfNet } from "../../src/domain/money";
import type { CanonicalOrder } from "../../src/domain/order";
import { vatTreatment } from "../../src/domain/vat";
import { economicAdapter } from "../../src/modules/economic/adapter";
import { buildDraftInvoice } from "../../src/modules/economic/invoice";
import { economicSettings } from "../../src/modules/economic/settings";
import { magentoOrder } from "../../src/modules/magento/mapper";
import { restOrder } from "../../src/modules/shopify/client";
import { shopifyOrder } from "../../src/modules/shopify/mapper";
import { woocommerceOrder } from "../../src/modules/woocommerce/mapper";
import { setOutboundFetch } from "../../src/lib/outbound";
import { cents, FakeEconomic } from "../fakes/economic";
import { accountingContext, activate, call, createIntegration, createTenant, economicSettingsComplete, postShopify, sandboxDocuments, waitForOrder } from "../helpers";

// ------------------------------------------------------------------ shop payloads of our own
// Built from the public field lists: 2 × an item at `unit` net, shipping `ship` net, 25 % VAT on both
// (or none), each amount written with the currency's own decimals as the shop writes it.

interface Amounts {
  currency: string;
  unit: number;
  ship: number;
  vat?: boolean;
}
const dec = (a: Amounts) => currencyDecimals(a.currency)!;
const s = (a: Amounts, minor: number) => formatMinorString(minor, dec(a));
const tax = (a: Amounts, net: number) => (a.vat === false ? 0 : vatOfNet(net, 2500));
const expected = (a: Amounts) => {
  const lineNet = 2 * a.unit;
  const gross = lineNet + tax(a, lineNet) + a.ship + tax(a, a.ship);
  return { lineNet, gross, vat: tax(a, lineNet) + tax(a, a.ship) };
};

/** A Shopify REST order (webhook body) in shop currency `shop` and presentment currency `shown` (default: the same). */
function shopifyPayload(shop: Amounts, shown: Amounts = shop) {
  const bag = (f: (a: Amounts) => number) => ({
    shop_money: { amount: s(shop, f(shop)), currency_code: shop.currency },
    presentment_money: { amount: s(shown, f(shown)), currency_code: shown.currency },
  });
  const e = (a: Amounts) => expected(a);
  const lineTax = (a: Amounts) => tax(a, 2 * a.unit);
  const shipTax = (a: Amounts) => tax(a, a.ship);
  return {
    id: 820982911946154500,
    name: "#1001",
    email: "kunde@example.com",
    created_at: "2026-11-20T10:00:00+01:00",
    updated_at: "2026-11-20T10:00:00+01:00",
    financial_status: "paid",
    currency: shop.currency,
    presentment_currency: shown.currency,
    taxes_included: false,
    total_price: s(shop, e(shop).gross),
    total_price_set: bag((a) => e(a).gross),
    total_tax: s(shop, e(shop).vat),
    total_tax_set: bag((a) => e(a).vat),
    total_tip_received: "0.00",
    billing_address: { name: "Kunde Kundesen", address1: "Testvej 1", zip: "8000", city: "Aarhus", country_code: "DK" },
    line_items: [
      {
        sku: "SKU-1",
        name: "T-shirt",
        quantity: 2,
        price: s(shop, shop.unit),
        price_set: bag((a) => a.unit),
        total_discount: "0.00",
        total_discount_set: bag(() => 0),
        discount_allocations: [],
        tax_lines: shop.vat === false ? [] : [{ price: s(shop, lineTax(shop)), price_set: bag(lineTax), rate: 0.25, title: "Moms" }],
      },
    ],
    shipping_lines: [
      {
        title: "Fragt",
        price: s(shop, shop.ship),
        price_set: bag((a) => a.ship),
        discounted_price: s(shop, shop.ship),
        discounted_price_set: bag((a) => a.ship),
        tax_lines: shop.vat === false ? [] : [{ price: s(shop, shipTax(shop)), price_set: bag(shipTax), rate: 0.25, title: "Moms" }],
      },
    ],
  };
}

/** A WooCommerce REST v3 order in one currency. */
function wooPayload(a: Amounts) {
  const e = expected(a);
  return {
    id: 727,
    number: "727",
    status: "processing",
    currency: a.currency,
    prices_include_tax: false,
    date_created_gmt: "2026-11-20T09:00:00",
    date_modified_gmt: "2026-11-20T09:00:00",
    total: s(a, e.gross),
    total_tax: s(a, e.vat),
    billing: { first_name: "Kunde", last_name: "Kundesen", email: "kunde@example.com", country: "DK", address_1: "Testvej 1", postcode: "8000", city: "Aarhus" },
    line_items: [
      {
        id: 1,
        name: "T-shirt",
        sku: "SKU-1",
        quantity: 2,
        subtotal: s(a, e.lineNet),
        total: s(a, e.lineNet),
        total_tax: s(a, tax(a, e.lineNet)),
        taxes: a.vat === false ? [] : [{ id: 1, total: s(a, tax(a, e.lineNet)) }],
      },
    ],
    shipping_lines: [{ id: 2, method_title: "Fragt", total: s(a, a.ship), total_tax: s(a, tax(a, a.ship)), taxes: a.vat === false ? [] : [{ id: 1, total: s(a, tax(a, a.ship)) }] }],
    tax_lines: [{ id: 3, rate_id: 1, rate_percent: 25 }],
    fee_lines: [],
    coupon_lines: [],
  };
}

/** A Magento order with base currency `base` and order currency `shown` (default: the same). */
function magentoPayload(base: Amounts, shown: Amounts = base) {
  const both = (key: string, f: (a: Amounts) => number) => ({ [key]: s(shown, f(shown)), [`base_${key}`]: s(base, f(base)) });
  const lineNet = (a: Amounts) => 2 * a.unit;
  return {
    entity_id: 3,
    increment_id: "000000003",
    created_at: "2026-11-20 09:00:00",
    updated_at: "2026-11-20 09:00:00",
    status: "processing",
    state: "processing",
    base_currency_code: base.currency,
    order_currency_code: shown.currency,
    customer_email: "kunde@example.com",
    customer_firstname: "Kunde",
    customer_lastname: "Kundesen",
    billing_address: { firstname: "Kunde", lastname: "Kundesen", street: ["Testvej 1"], postcode: "8000", city: "Aarhus", country_id: "DK" },
    ...both("grand_total", (a) => expected(a).gross),
    ...both("tax_amount", (a) => expected(a).vat),
    ...both("shipping_amount", (a) => a.ship),
    ...both("shipping_tax_amount", (a) => tax(a, a.ship)),
    shipping_description: "Fragt",
    items: [
      {
        item_id: 1,
        sku: "SKU-1",
        name: "T-shirt",
        product_type: "simple",
        qty_ordered: "2.0000",
        tax_percent: base.vat === false ? 0 : 25,
        ...both("price", (a) => a.unit),
        ...both("row_total", lineNet),
        ...both("tax_amount", (a) => tax(a, lineNet(a))),
        ...both("discount_amount", () => 0),
      },
    ],
  };
}

/** The canonical figures every mapper must give for `a`. */
function expectFigures(o: CanonicalOrder, a: Amounts) {
  const e = expected(a);
  expect(o.currency).toBe(a.currency);
  expect(o.lines.map((l) => [l.quantity, l.unitPriceNet, l.netTotal, l.vatAmount])).toEqual([[2, a.unit, e.lineNet, tax(a, e.lineNet)]]);
  expect(o.shipping.map((c) => [c.netAmount, c.vatAmount])).toEqual([[a.ship, tax(a, a.ship)]]);
  expect(o.totals).toEqual({ net: e.gross - e.vat, vat: e.vat, gross: e.gross });
}

// Each currency with amounts that use all of its decimals.
const CURRENCIES: Amounts[] = [
  { currency: "DKK", unit: 12345, ship: 3900 },
  { currency: "EUR", unit: 1999, ship: 495 },
  { currency: "SEK", unit: 24950, ship: 4900 },
  { currency: "JPY", unit: 1224, ship: 800 },
  { currency: "KWD", unit: 12345, ship: 1500 },
];

function invalid(fn: () => unknown): TransferError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TransferError) return e;
    throw e;
  }
  throw new Error("expected invalid_order");
}

// ------------------------------------------------------------------ tests

describe("ISO 4217 minor units", () => {
  it("knows each currency's decimals and refuses a code that is not one", () => {
    expect(["JPY", "KRW", "ISK"].map(currencyDecimals)).toEqual([0, 0, 0]);
    expect(["DKK", "EUR", "USD", "SEK", "GBP"].map(currencyDecimals)).toEqual([2, 2, 2, 2, 2]);
    expect(["KWD", "BHD", "JOD"].map(currencyDecimals)).toEqual([3, 3, 3]);
    expect(currencyDecimals("eur")).toBe(2);
    expect(["XYZ", "XAU", "", "DK", "EURO"].map(currencyDecimals)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    const e = invalid(() => requireCurrency("XYZ"));
    expect(e.category).toBe("invalid_order");
    expect(e.message).toContain('"XYZ" is not an ISO 4217 currency code');
  });

  it("reads and writes amounts in the currency's own decimals", () => {
    expect(parseMinor("1224", 0)).toBe(1224);
    expect(parseMinor("1224.00", 0)).toBe(1224);
    expect(parseMinor("12.345", 3)).toBe(12345);
    expect(formatMinorString(1224, 0)).toBe("1224");
    expect(formatMinorString(12345, 3)).toBe("12.345");
    expect(representable(12345, 3, 2)).toEqual({ minor: 12350, exact: false });
    expect(representable(12340, 3, 2)).toEqual({ minor: 12340, exact: true });
    expect(representable(1224, 0, 2)).toEqual({ minor: 1224, exact: true });
  });

  it("formats money the Danish way for people", () => {
    expect(formatAmount(123450, "EUR", "da")).toBe("1.234,50 EUR");
    expect(formatAmount(1234, "JPY", "da")).toBe("1.234 JPY");
    expect(formatAmount(1234567, "KWD", "da")).toBe("1.234,567 KWD");
    expect(formatAmount(123450, "DKK", "da")).toBe("1.234,50 kr.");
    expect(formatAmount(-5, "DKK", "da")).toBe("-0,05 kr.");
    expect(formatAmount(123450, "EUR", "en")).toBe("1,234.50 EUR");
  });

  it("the exchange rate is the base amount of 100 units, from the two totals", () => {
    // 40.00 EUR paid, 298.75 DKK in the shop's money: 100 EUR = 746.875 DKK.
    expect(impliedExchangeRate({ gross: 4000, decimals: 2 }, { gross: 29875, decimals: 2 })).toBe("746.875000");
    // 1224 JPY = 52.17 DKK: 100 JPY = 4.262255 DKK.
    expect(impliedExchangeRate({ gross: 1224, decimals: 0 }, { gross: 5217, decimals: 2 })).toBe("4.262255");
    // 12.345 KWD = 280.00 DKK: 100 KWD = 2268.124747 DKK.
    expect(impliedExchangeRate({ gross: 12345, decimals: 3 }, { gross: 28000, decimals: 2 })).toBe("2268.124747");
    expect(impliedExchangeRate({ gross: 0, decimals: 2 }, { gross: 0, decimals: 2 })).toBeNull();
  });
});

describe("every shop mapper reads each currency with its own decimals", () => {
  for (const a of CURRENCIES) {
    it(`${a.currency}: Shopify, WooCommerce and Magento give the same figures`, () => {
      expectFigures(shopifyOrder(shopifyPayload(a)), a);
      expectFigures(woocommerceOrder(wooPayload(a)), a);
      expectFigures(magentoOrder(magentoPayload(a)), a);
    });
  }

  it("a JPY line whose net does not divide by its quantity keeps whole yen (no 1223.66 yen)", () => {
    const raw = wooPayload({ currency: "JPY", unit: 1224, ship: 0, vat: false });
    Object.assign(raw.line_items[0], { quantity: 3, subtotal: "3671", total: "3671" });
    raw.total = "3671";
    raw.shipping_lines = [];
    const o = woocommerceOrder(raw);
    expect(o.lines[0]).toMatchObject({ quantity: 3, unitPriceNet: 1224, discountNet: 1, netTotal: 3671 });
    const { body } = buildDraftInvoice({
      order: { ...o, customer: { ...o.customer, countryCode: "US" } },
      settings: { layoutNumber: 19, paymentTermsNumber: 1, shippingProductNumber: "SHIP" },
      customerNumber: 1,
      vatZoneNumber: 3,
      treatment: "abroad",
      reference: "r",
    });
    expect(body.currency).toBe("JPY");
    expect(body.lines.map((l) => [l.quantity, l.unitNetPrice])).toEqual([
      [1, 1223],
      [2, 1224],
    ]);
  });

  it("an unknown currency code is invalid_order, never a guess", () => {
    for (const raw of [{ ...shopifyPayload(CURRENCIES[0]), currency: "XYZ" }, { ...wooPayload(CURRENCIES[0]), currency: "KRONER" }, { ...magentoPayload(CURRENCIES[0]), order_currency_code: "ABC" }]) {
      const e = invalid(() => ("line_items" in raw && "presentment_currency" in raw ? shopifyOrder(raw) : "entity_id" in raw ? magentoOrder(raw) : woocommerceOrder(raw)));
      expect(e.category).toBe("invalid_order");
      expect(e.message).toMatch(/is not an ISO 4217 currency code/);
    }
    expect(invalid(() => shopifyOrder({ ...shopifyPayload(CURRENCIES[0]), presentment_currency: "EURO" }, { documentCurrency: "presentment" })).message).toContain('"EURO"');
  });
});

// A Danish shop (DKK) whose German customer paid in euro (Shopify Markets).
const dkk: Amounts = { currency: "DKK", unit: 10000, ship: 3900 };
const eur: Amounts = { currency: "EUR", unit: 1340, ship: 520 };

describe("Shopify: a DKK shop with a EUR presentment order (R24)", () => {
  const raw = shopifyPayload(dkk, eur);

  it("by default the document is in the shop's currency, with the customer's total beside it", () => {
    const o = shopifyOrder(raw, {});
    expectFigures(o, dkk);
    expect(o.otherTotal).toEqual({ currency: "EUR", gross: 4000 });
  });

  it('with documentCurrency "presentment" every amount is the customer\'s', () => {
    const o = shopifyOrder(raw, { documentCurrency: "presentment" });
    expectFigures(o, eur);
    expect(o.otherTotal).toEqual({ currency: "DKK", gross: 29875 });
  });

  it("presentment without the presentment amounts is refused, never read as shop money", () => {
    const stripped = JSON.parse(JSON.stringify(raw));
    delete stripped.line_items[0].price_set;
    const e = invalid(() => shopifyOrder(stripped, { documentCurrency: "presentment" }));
    expect(e.message).toContain("line_items[0].price_set.presentment_money is missing");
  });

  it("the GraphQL read (imports, reconciliation) gives the same canonical order in both modes", () => {
    const m = (set: Record<string, { amount: string }>) => ({ shopMoney: { amount: set.shop_money.amount }, presentmentMoney: { amount: set.presentment_money.amount } });
    const l = raw.line_items[0];
    const sh = raw.shipping_lines[0];
    const node = {
      id: `gid://shopify/Order/${raw.id}`,
      name: raw.name,
      email: raw.email,
      createdAt: raw.created_at,
      updatedAt: raw.updated_at,
      cancelledAt: null,
      displayFinancialStatus: "PAID",
      currencyCode: "DKK",
      presentmentCurrencyCode: "EUR",
      taxesIncluded: false,
      totalPriceSet: m(raw.total_price_set),
      totalTaxSet: m(raw.total_tax_set),
      totalTipReceivedSet: { shopMoney: { amount: "0.0" }, presentmentMoney: { amount: "0.0" } },
      billingAddress: { name: "Kunde Kundesen", address1: "Testvej 1", zip: "8000", city: "Aarhus", countryCodeV2: "DK" },
      shippingLines: { nodes: [{ title: sh.title, originalPriceSet: m(sh.price_set), discountedPriceSet: m(sh.discounted_price_set), taxLines: sh.tax_lines.map((t) => ({ priceSet: m(t.price_set), rate: t.rate })) }] },
    };
    const lines = [{ sku: l.sku, name: l.name, quantity: l.quantity, originalUnitPriceSet: m(l.price_set), taxLines: l.tax_lines.map((t) => ({ priceSet: m(t.price_set), rate: t.rate })), discountAllocations: [] }];
    for (const settings of [{}, { documentCurrency: "presentment" }]) {
      const fromGraphql = shopifyOrder(restOrder(node, lines), settings);
      const fromWebhook = shopifyOrder(raw, settings);
      expect({ ...fromGraphql, note: null, customer: null }).toEqual({ ...fromWebhook, note: null, customer: null });
    }
  });
});

describe("Magento: base currency and order currency differ", () => {
  const raw = magentoPayload(dkk, eur);
  it("base_* amounts by default, order_* amounts in presentment mode, the other total beside them", () => {
    const base = magentoOrder(raw);
    expectFigures(base, dkk);
    expect(base.otherTotal).toEqual({ currency: "EUR", gross: 4000 });
    const shown = magentoOrder(raw, { documentCurrency: "presentment" });
    expectFigures(shown, eur);
    expect(shown.otherTotal).toEqual({ currency: "DKK", gross: 29875 });
  });
});

describe("into e-conomic: currency, exchange rate, customer", () => {
  let fake: FakeEconomic;
  beforeEach(() => {
    fake = new FakeEconomic();
  });
  const open = (settings: Record<string, unknown> = {}, f = fake) =>
    economicAdapter.open(accountingContext({
      integrationId: `int-cur-${crypto.randomUUID()}`,
      tenantId: "t",
      settings: economicSettings.parse({ ...economicSettingsComplete, ...settings }),
      env,
      db: getDb(env),
      fetch: f.fetch,
    }));

  it("a EUR presentment invoice: euro amounts, euro customer, the rate the shop's totals imply (to the øre)", async () => {
    const session = await open();
    const o = shopifyOrder(shopifyPayload(dkk, eur), { documentCurrency: "presentment" });
    const { sent } = await session.createDocument(o, "ref-eur");
    const draft = fake.drafts.get(1)!;
    expect(draft.currency).toBe("EUR");
    expect(draft.exchangeRate).toBe(746.875);
    expect((sent as { exchangeRate?: number }).exchangeRate).toBe(746.875);
    expect(draft.lines.map((l) => [l.quantity, l.unitNetPrice])).toEqual([
      [2, 13.4],
      [1, 5.2],
    ]);
    expect([cents(draft.netAmount), cents(draft.vatAmount), cents(draft.grossAmount)]).toEqual([o.totals.net, o.totals.vat, o.totals.gross]);
    // The base amount the rate gives is the shop's own DKK total, to the øre.
    expect(Math.round((cents(draft.grossAmount) * (draft.exchangeRate as number)) / 100)).toBe(29875);
    expect(fake.customers[0].currency).toBe("EUR");
    // VAT treatment does not change with the currency.
    expect(draft.recipient.vatZone.vatZoneNumber).toBe(economicSettingsComplete.vatZones.domestic);
    expect(fake.requests("GET", "/self")).toHaveLength(1);
  });

  it("the same order in shop currency: DKK amounts and no rate (DKK is the agreement's base currency)", async () => {
    const session = await open();
    await session.createDocument(shopifyOrder(shopifyPayload(dkk, eur)), "ref-dkk");
    const draft = fake.drafts.get(1)!;
    expect(draft.currency).toBe("DKK");
    expect(draft.exchangeRate).toBeUndefined();
    expect(draft.lines.map((l) => l.unitNetPrice)).toEqual([100, 39]);
  });

  it("an agreement in EUR taking the DKK document: the rate is DKK in EUR", async () => {
    const euro = new FakeEconomic({ baseCurrency: "EUR" });
    const session = await open({}, euro);
    await session.createDocument(shopifyOrder(shopifyPayload(dkk, eur)), "ref-dkk-in-eur");
    expect(euro.drafts.get(1)!.exchangeRate).toBe(13.389121);
  });

  it("a single-currency order needs no rate and no GET /self", async () => {
    const session = await open();
    await session.createDocument(woocommerceOrder(wooPayload({ currency: "SEK", unit: 24950, ship: 4900 })), "ref-sek");
    const draft = fake.drafts.get(1)!;
    expect(draft.currency).toBe("SEK");
    expect(draft.exchangeRate).toBeUndefined();
    expect(draft.lines.map((l) => l.unitNetPrice)).toEqual([249.5, 49]);
    expect(fake.requests("GET", "/self")).toHaveLength(0);
  });

  it("KWD's third decimal is never rounded silently: totals_mismatch without a rounding line, the rounding line within the threshold", async () => {
    const kwd: Amounts = { currency: "KWD", unit: 12345, ship: 1500, vat: false };
    // 2 × 12.345 = 24.690 KWD can be held (12.34 + 12.35): exact, no rounding needed.
    const even = woocommerceOrder({ ...wooPayload(kwd), billing: { ...wooPayload(kwd).billing, country: "US" } });
    await (await open()).createDocument(even, "ref-kwd-even");
    expect(fake.drafts.get(1)!.lines.map((l) => [l.quantity, l.unitNetPrice])).toEqual([
      [1, 12.34],
      [1, 12.35],
      [1, 1.5],
    ]);
    expect(cents(fake.drafts.get(1)!.grossAmount)).toBe(2619);

    // 1 × 12.345 + 1.500 = 13.845 KWD cannot be held in two decimals.
    const raw = { ...wooPayload(kwd), billing: { ...wooPayload(kwd).billing, country: "US" }, total: "13.845" };
    raw.line_items = [{ ...raw.line_items[0], quantity: 1, subtotal: "12.345", total: "12.345" }];
    const o = woocommerceOrder(raw);
    const strict = new FakeEconomic();
    const err = await (await open({}, strict)).createDocument(o, "ref-kwd").then(
      () => null,
      (e: TransferError) => e,
    );
    expect(err?.category).toBe("totals_mismatch");
    expect(err?.message).toContain("at most 2 decimals");
    expect(err?.message).toContain("13.845 KWD");
    for (const l of strict.drafts.get(1)!.lines) expect(Math.round((l.unitNetPrice ?? 0) * 100) / 100).toBe(l.unitNetPrice);

    const lenient = new FakeEconomic();
    await (await open({ roundingProductNumber: "ROUND", roundingThreshold: 20 }, lenient)).createDocument(o, "ref-kwd-2");
    const draft = lenient.drafts.get(1)!;
    expect(draft.currency).toBe("KWD");
    expect(draft.lines.map((l) => [l.product?.productNumber, l.quantity, l.unitNetPrice])).toEqual([
      ["SKU-1", 1, 12.35],
      ["SHIP", 1, 1.5],
      ["ROUND", 1, -0.01],
    ]);
    // The nearest e-conomic can hold: 13.84 KWD, within the 20 fils the merchant allowed.
    expect(cents(draft.grossAmount)).toBe(1384);
  });
});

describe("property: the document total is the order total in the document currency", () => {
  it("for random orders in currencies of 0, 2 and 3 decimals", () => {
    const currency = fc.constantFrom("DKK", "EUR", "SEK", "JPY", "ISK", "KRW", "KWD", "BHD");
    const lineArb = fc.record({ quantity: fc.integer({ min: 1, max: 12 }), unit: fc.integer({ min: 1, max: 500_000 }), discount: fc.integer({ min: 0, max: 1000 }) });
    fc.assert(
      fc.property(currency, fc.array(lineArb, { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 20_000 }), fc.boolean(), (cur, ls, ship, domestic) => {
        const decimals = currencyDecimals(cur)!;
        const rate = domestic ? 2500 : 0;
        const lines = ls.map((l, i) => {
          const discountNet = Math.min(l.discount, l.quantity * l.unit);
          const netTotal = l.quantity * l.unit - discountNet;
          return { sku: `SKU-${i}`, description: `P${i}`, quantity: l.quantity, unitPriceNet: l.unit, discountNet, netTotal, vatRate: rate, vatAmount: vatOfNet(netTotal, rate) };
        });
        const net = lines.reduce((a, l) => a + l.netTotal, 0) + ship;
        const vat = vatOfNet(net, rate);
        const order: CanonicalOrder = {
          shopOrderId: "1",
          orderNumber: "1",
          createdAt: "2026-11-20T10:00:00Z",
          updatedAt: "2026-11-20T10:00:00Z",
          state: "paid",
          cancelled: false,
          currency: cur,
          pricesIncludeVat: false,
          customer: { name: "K", email: "k@example.com", company: null, countryCode: domestic ? "DK" : "US", address: null, zip: null, city: null },
          lines,
          shipping: ship ? [{ description: "Fragt", netAmount: ship, vatRate: rate, vatAmount: vatOfNet(ship, rate) }] : [],
          fees: [],
          totals: { net, vat, gross: net + vat },
        };
        const treatment = vatTreatment(order).treatment!;
        const { body, totals } = buildDraftInvoice({
          order,
          settings: { layoutNumber: 1, paymentTermsNumber: 1, shippingProductNumber: "SHIP", roundingProductNumber: "ROUND", roundingThreshold: 50 },
          customerNumber: 1,
          vatZoneNumber: 1,
          treatment,
          reference: "r",
        });
        // What e-conomic receives: at most two decimals, never finer than the currency.
        for (const l of body.lines) {
          expect(Math.round(l.unitNetPrice * 100) / 100).toBe(l.unitNetPrice);
          expect(Math.round(l.unitNetPrice * 10 ** decimals) / 10 ** decimals).toBe(l.unitNetPrice);
        }
        // The document's net, read back from what was written, in the currency's minor units.
        // (quantity × price × (1 − discount %), as e-conomic computes a line; the discount is exact by construction.)
        const written = body.lines.reduce((a, l) => {
          const gross = l.quantity * parseMinor(l.unitNetPrice, decimals);
          const bp = Math.round((l.discountPercentage ?? 0) * 100);
          expect((gross * bp) % 10000 === 0).toBe(true);
          return a + gross - (gross * bp) / 10000;
        }, 0);
        expect(written).toBe(totals.net);
        if (decimals <= 2) {
          // Held exactly: the lines alone match, no rounding line, no mismatch.
          expect(totals.error).toBeNull();
          expect(totals.rounding).toBe(0);
          expect(totals.gross).toBe(order.totals.gross);
        } else {
          // Three decimals: exact where e-conomic can hold it, otherwise within the rounding threshold.
          expect(totals.error === null ? Math.abs(totals.gross - order.totals.gross) <= 50 : totals.error.category === "totals_mismatch").toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("through the real flow", () => {
  let fake: FakeEconomic;
  beforeEach(() => {
    fake = new FakeEconomic();
    setOutboundFetch(fake.fetch);
  });
  afterEach(() => setOutboundFetch());

  it("a Shopify webhook in presentment mode: the ledger's currency is EUR and sent shows the rate", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, {
      shop: { module: "shopify", settings: { shopDomain: "demo-shop.myshopify.com", accessToken: "shpat", webhookSecret: "shp-secret", documentCurrency: "presentment" } },
      accounting: { module: "economic", settings: economicSettingsComplete },
    });
    expect((await call("GET", `/api/staff/integrations/${i.id}`)).json.shop.settings.documentCurrency).toBe("presentment");
    await activate(i.id);
    const soon = new Date(Date.now() + 1000).toISOString();
    const raw = { ...shopifyPayload(dkk, eur), created_at: soon, updated_at: soon };
    expect((await postShopify(i.id, raw, "shp-secret")).status).toBe(200);
    const entry = await waitForOrder(i.id, String(raw.id));
    expect(entry.status, JSON.stringify(entry.error)).toBe("transferred");
    expect(entry.currency).toBe("EUR");
    expect(entry.sent).toMatchObject({ currency: "EUR", exchangeRate: 746.875 });
    const list = await call("GET", `/api/staff/integrations/${i.id}/orders`);
    expect(list.json.items[0].currency).toBe("EUR");
  });

  it("an order whose currency is not ISO 4217 fails as invalid_order and creates nothing", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, {
      shop: { module: "shopify", settings: { shopDomain: "demo-shop.myshopify.com", accessToken: "shpat", webhookSecret: "shp-secret" } },
      accounting: { module: "economic", settings: economicSettingsComplete },
    });
    await activate(i.id);
    const soon = new Date(Date.now() + 1000).toISOString();
    const raw = { ...shopifyPayload(dkk), id: 555, currency: "XYZ", presentment_currency: "XYZ", created_at: soon, updated_at: soon };
    await postShopify(i.id, raw, "shp-secret");
    const entry = await waitForOrder(i.id, "555");
    expect(entry.status).toBe("failed");
    expect(entry.error.category).toBe("invalid_order");
    expect(entry.error.message).toContain("XYZ");
    expect(fake.writes()).toHaveLength(0);
  });

  it("documentCurrency takes only shop or presentment", async () => {
    const t = await createTenant();
    const r = await call("POST", `/api/staff/tenants/${t.id}/integrations`, {
      shop: { module: "magento", settings: { baseUrl: "https://m.example.com", accessToken: "x", documentCurrency: "EUR" } },
      accounting: { module: "sandbox", settings: {} },
    });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.json.error.details)).toContain("documentCurrency");
  });

  it("a JPY demo order goes into the sandbox accounting system in whole yen", async () => {
    const t = await createTenant();
    const i = await createIntegration(t.id, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    await activate(i.id);
    const created = await call("POST", `/api/staff/integrations/${i.id}/sandbox/orders`, { currency: "JPY", unitPrice: 1224, quantity: 3, shipping: 800 });
    expect(created.status).toBe(201);
    const entry = await waitForOrder(i.id, String(created.json.id));
    expect(entry.status, JSON.stringify(entry.error)).toBe("transferred");
    expect(entry.currency).toBe("JPY");
    const [doc] = await sandboxDocuments(i.id);
    const body = JSON.parse(doc.body);
    expect(body.currency).toBe("JPY");
    // 3 × 1224 + 800 = 4472 yen net, 25 % VAT 1118: 5590 yen.
    expect(JSON.stringify(body)).toContain("5590");
    const bad = await call("POST", `/api/staff/integrations/${i.id}/sandbox/orders`, { currency: "YEN" });
    expect(bad.status).toBe(400);
  });
});
