import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { getDb } from "../../../src/db/client";
import { checkOrder, documentTotals } from "../../../src/domain/checks";
import { vatOfNet } from "../../../src/domain/money";
import type { CanonicalOrder } from "../../../src/domain/order";
import { vatTreatment } from "../../../src/domain/vat";
import { economicAdapter } from "../../../src/modules/economic/adapter";
import { EconomicClient, fieldErrors } from "../../../src/modules/economic/client";
import { exactLines } from "../../../src/domain/document-plan";
import { economicSettings } from "../../../src/modules/economic/settings";
import { sandboxAccountingAdapter } from "../../../src/modules/sandbox/accounting";
import type { AccountingSession } from "../../../src/modules/types";
import { cents, FakeEconomic } from "../../fakes/economic";
import { charge, line, order } from "../../order-factory";
import { accountingContext, economicSettingsComplete, rejection } from "../../helpers";

/** The reference format of the transfer core: order number and id, and the integration. */
const reference = (o: CanonicalOrder, integrationId = "int-econ") => `Order ${o.orderNumber} (id ${o.shopOrderId}) ob:${integrationId}`;

// ---------------------------------------------------------------- e-conomic session helpers

let fake: FakeEconomic;
// Each test is its own integration (its own customer bindings) against a fresh fake.
let integrationId = "";
beforeEach(() => {
  fake = new FakeEconomic();
  integrationId = `int-econ-${crypto.randomUUID()}`;
});

async function openEconomic(settings: Record<string, unknown> = {}, f: FakeEconomic = fake, id = integrationId): Promise<AccountingSession> {
  return economicAdapter.open(accountingContext({
    integrationId: id,
    tenantId: "tenant-econ",
    settings: economicSettings.parse({ ...economicSettingsComplete, ...settings }),
    env,
    db: getDb(env),
    fetch: f.fetch,
  }));
}


// ---------------------------------------------------------------- tests

describe("e-conomic: an order end to end", () => {
  it("creates the customer, then a draft with lines by SKU at net prices, shipping, reference and heading", async () => {
    const session = await openEconomic();
    const o = order();
    expect(await session.check(o)).toBeNull();
    const { document, sent } = await session.createDocument(o, reference(o));

    expect(document).toEqual({ type: "draft", number: "1" });
    expect(fake.requests("POST", "/customers")).toHaveLength(1);
    const customer = fake.customers[0];
    expect(customer).toMatchObject({ email: o.customer.email, name: "Test Buyer", currency: "DKK", vatZone: { vatZoneNumber: 1 }, customerGroup: { customerGroupNumber: 1 }, country: "Denmark" });

    const draft = fake.drafts.get(1)!;
    expect(draft.customer.customerNumber).toBe(customer.customerNumber);
    expect(draft.date).toBe("2025-06-10");
    expect(draft).toMatchObject({ currency: "DKK", layout: { layoutNumber: 19 }, paymentTerms: { paymentTermsNumber: 1 }, notes: { heading: `Order ${o.orderNumber}` } });
    expect(draft.recipient).toMatchObject({ name: "Test Buyer", address: "Testvej 1", zip: "7000", city: "Fredericia", country: "Denmark", vatZone: { vatZoneNumber: 1 } });
    expect(draft.references!.other).toContain(o.shopOrderId);
    expect(draft.references!.other).toContain(o.orderNumber);
    expect(draft.lines.map((l) => [l.product!.productNumber, l.quantity, l.unitNetPrice])).toEqual([
      ["SKU-1", 2, 100],
      ["SHIP", 1, 39],
    ]);
    // What e-conomic computes equals the order, to the øre.
    expect([cents(draft.netAmount), cents(draft.vatAmount), cents(draft.grossAmount)]).toEqual([o.totals.net, o.totals.vat, o.totals.gross]);
    expect((sent as { references: { other: string } }).references.other).toBe(reference(o));
  });

  it("remembers the customer across batches, and finds it by email where nothing is remembered", async () => {
    const first = order({ customer: { email: "Repeat@Example.com" } });
    await (await openEconomic()).createDocument(first, reference(first));
    const second = order({ customer: { email: "repeat@example.com" } });
    await (await openEconomic()).createDocument(second, reference(second));
    // A new session (the next batch) knows the customer from the binding table: no lookup.
    expect(fake.requests("GET", "/customers")).toHaveLength(1);
    expect(fake.customers).toHaveLength(1);
    expect(fake.requests("POST", "/customers")).toHaveLength(1);
    expect(fake.drafts.get(2)!.customer.customerNumber).toBe(fake.customers[0].customerNumber);

    // Another integration on the same agreement has no binding yet: it finds the customer by email.
    const third = order({ customer: { email: "repeat@example.com" } });
    await (await openEconomic({}, fake, `${integrationId}-other`)).createDocument(third, reference(third));
    const lookups = fake.requests("GET", "/customers");
    expect(lookups).toHaveLength(2);
    expect(lookups[1].query.get("filter")).toBe("email$eq:repeat@example.com");
    expect(fake.requests("POST", "/customers")).toHaveLength(1);
  });

  it("a remembered customer that was deleted in e-conomic is looked up again (or re-created) and the invoice sent once more", async () => {
    const first = order({ customer: { email: "gone@example.com" } });
    await (await openEconomic()).createDocument(first, reference(first));
    fake.customers.length = 0; // the merchant deleted the customer in e-conomic
    const second = order({ customer: { email: "gone@example.com" } });
    const { document } = await (await openEconomic()).createDocument(second, reference(second));
    expect(document.type).toBe("draft");
    expect(fake.requests("POST", "/customers")).toHaveLength(2);
    expect(fake.requests("POST", "/invoices/drafts")).toHaveLength(3); // refused once, then sent again
    expect(fake.drafts.get(Number(document.number))!.customer.customerNumber).toBe(fake.customers[0].customerNumber);
    // The binding now holds the new customer: a third batch needs no lookup.
    const third = order({ customer: { email: "gone@example.com" } });
    await (await openEconomic()).createDocument(third, reference(third));
    expect(fake.requests("GET", "/customers")).toHaveLength(2);
  });

  it("books the draft when documentType is booked", async () => {
    const session = await openEconomic({ documentType: "booked" });
    const o = order();
    const { document } = await session.createDocument(o, reference(o));
    expect(document).toEqual({ type: "booked", number: "10001" });
    expect(fake.requests("POST", "/invoices/booked")[0].body).toEqual({ draftInvoice: { draftInvoiceNumber: 1 } });
    expect(fake.drafts.size).toBe(0);
    expect(fake.booked.get(10001)!.references!.other).toBe(reference(o));
  });

  it("dates the invoice in Copenhagen time: 23:30 UTC on 31 December is 1 January", async () => {
    const session = await openEconomic();
    const o = order({ createdAt: "2025-12-31T23:30:00Z" });
    await session.createDocument(o, reference(o));
    expect(fake.drafts.get(1)!.date).toBe("2026-01-01");
  });

  it("writes a percentage discount as discountPercentage and an uneven net as two exact lines", async () => {
    const session = await openEconomic();
    const o = order({
      lines: [
        line("SKU-1", 2, 10000, { discountNet: 4000 }), // 20 % of 200.00
        line("SKU-2", 3, 334, { discountNet: 2 }), // net 10.00 over 3 units
      ],
    });
    await session.createDocument(o, reference(o));
    const draft = fake.drafts.get(1)!;
    expect(draft.lines.map((l) => [l.product!.productNumber, l.quantity, l.unitNetPrice, l.discountPercentage])).toEqual([
      ["SKU-1", 2, 100, 20],
      ["SKU-2", 2, 3.33, undefined],
      ["SKU-2", 1, 3.34, undefined],
      ["SHIP", 1, 39, undefined],
    ]);
    expect(cents(draft.netAmount)).toBe(o.totals.net);
    expect(cents(draft.grossAmount)).toBe(o.totals.gross);
  });

  it("exact lines: every form adds up to the order line's net total", () => {
    for (const [q, p, d] of [[1, 999, 0], [3, 1000, 1], [7, 1299, 500], [4, 2500, 1000], [5, 1, 3], [2, 12345, 12345]]) {
      const l = line("X", q, p, { discountNet: d });
      const parts = exactLines(l, "X");
      const total = parts.reduce((s, x) => s + x.net, 0);
      expect(total).toBe(l.netTotal);
      for (const x of parts) {
        expect(Number.isInteger(x.unitNetPrice)).toBe(true);
        expect(x.net).toBe(Math.round((x.quantity * x.unitNetPrice * (10000 - (x.discountBp ?? 0))) / 10000));
      }
    }
  });

  it("updates a draft in place with PUT and refuses to change a booked invoice", async () => {
    const session = await openEconomic();
    const o = order();
    const { document } = await session.createDocument(o, reference(o));
    const changed = { ...o, lines: [line("SKU-2", 1, 7900)] };
    changed.totals = { net: 7900 + 3900, vat: vatOfNet(7900, 2500) + 975, gross: 0 };
    changed.totals.gross = changed.totals.net + changed.totals.vat;
    const updated = await session.updateDraft(document, changed, reference(o));
    expect(updated.document).toEqual(document);
    const put = fake.requests("PUT", "/invoices/drafts/1");
    expect(put).toHaveLength(1);
    expect((put[0].body as { draftInvoiceNumber: number }).draftInvoiceNumber).toBe(1);
    expect(fake.drafts.get(1)!.lines[0].product!.productNumber).toBe("SKU-2");
    expect(fake.drafts.size).toBe(1);

    const err = await rejection(session.updateDraft({ type: "booked", number: "10001" }, changed, reference(o)));
    expect(err.category).toBe("accounting_rejected");
  });

  it("creates missing products (and the shipping product) when autoCreateProducts is on", async () => {
    const f = new FakeEconomic({ products: [{ productNumber: "SKU-1", name: "T-shirt" }] });
    const session = await openEconomic({ autoCreateProducts: true, productGroupNumber: 3 }, f);
    const o = order({ lines: [line("SKU-1", 1, 10000), line("NEW-9", 1, 2500, { description: "New thing" })] });
    expect(await session.check(o)).toBeNull();
    await session.createDocument(o, reference(o));
    expect(f.requests("POST", "/products").map((r) => r.body)).toEqual([
      { productNumber: "NEW-9", name: "New thing", productGroup: { productGroupNumber: 3 }, salesPrice: 25 },
      { productNumber: "SHIP", name: "Shipping", productGroup: { productGroupNumber: 3 } },
    ]);
    expect(f.drafts.size).toBe(1);
  });
});

describe("e-conomic: the frequent errors are found before anything is created", () => {
  const cases: [string, () => CanonicalOrder, string, RegExp][] = [
    ["product_missing", () => order({ lines: [line("SKU-9", 1, 1000)] }), "product_missing", /SKU-9/],
    ["sku_missing", () => order({ lines: [line(null, 1, 1000, { description: "Gift wrap" })] }), "sku_missing", /Gift wrap/],
    ["customer_info_missing (email)", () => order({ customer: { email: null } }), "customer_info_missing", /email/],
    ["customer_info_missing (country, no VAT)", () => order({ customer: { countryCode: null }, lines: [line("SKU-1", 1, 1000, { vatRate: 0 })], shipping: [] }), "customer_info_missing", /country/],
    ["vat_setup_missing: Danish order without VAT", () => order({ lines: [line("SKU-1", 1, 1000, { vatRate: 0 })], shipping: [charge(3900, 0)] }), "vat_setup_missing", /DK/],
    ["vat_setup_missing: German OSS 19 %", () => order({ customer: { countryCode: "DE" }, lines: [line("SKU-1", 1, 1000, { vatRate: 1900 })], shipping: [charge(3900, 1900)] }), "vat_setup_missing", /19 %.*DE/],
    ["vat_setup_missing: a mix of 25 % and no VAT", () => order({ lines: [line("SKU-1", 1, 1000), line("SKU-2", 1, 1000, { vatRate: 0 })] }), "vat_setup_missing", /mixes/],
    ["fiscal_year_closed", () => order({ createdAt: "2024-11-05T12:00:00Z" }), "fiscal_year_closed", /2024-11-05.*closed accounting year 2024/],
    ["a date in no accounting year", () => order({ createdAt: "2023-03-01T12:00:00Z" }), "accounting_rejected", /2023-03-01 lies in no accounting year/],
  ];
  for (const [name, make, category, message] of cases)
    it(name, async () => {
      const session = await openEconomic();
      const o = make();
      const found = await session.check(o);
      expect(found?.category).toBe(category);
      expect(found?.message).toMatch(message);
      const err = await rejection(session.createDocument(o, reference(o)));
      expect(err.category).toBe(category);
      expect(fake.writes()).toEqual([]);
    });

  it("product_missing names the shipping product when it does not exist", async () => {
    const f = new FakeEconomic({ products: [{ productNumber: "SKU-1", name: "T-shirt" }] });
    const err = await (await openEconomic({}, f)).check(order());
    expect(err?.category).toBe("product_missing");
    expect(err?.message).toMatch(/"SHIP" \(the shipping product\)/);
  });

  it("vat_setup_missing when the configured zone does not exist in e-conomic", async () => {
    const err = await (await openEconomic({ vatZones: { domestic: 1, eu: 7, abroad: 3 } })).check(order({ customer: { countryCode: "SE" }, lines: [line("SKU-1", 1, 100, { vatRate: 0 })], shipping: [] }));
    expect(err?.category).toBe("vat_setup_missing");
    expect(err?.message).toMatch(/zone 7/);
  });
});

describe("e-conomic: VAT zone", () => {
  const noVat = (country: string) => order({ customer: { countryCode: country }, lines: [line("SKU-1", 1, 10000, { vatRate: 0 })], shipping: [charge(3900, 0)] });
  for (const [name, make, zone] of [
    ["domestic: Danish VAT", () => order(), 1],
    ["domestic: Danish VAT charged to a Swedish customer", () => order({ customer: { countryCode: "SE" } }), 1],
    ["eu: a German order without VAT", () => noVat("DE"), 2],
    ["abroad: a US order without VAT", () => noVat("US"), 3],
  ] as const)
    it(name, async () => {
      const session = await openEconomic();
      const o = make();
      await session.createDocument(o, reference(o));
      expect(fake.drafts.get(1)!.recipient.vatZone.vatZoneNumber).toBe(zone);
      expect(fake.customers[0].vatZone.vatZoneNumber).toBe(zone);
      expect(cents(fake.drafts.get(1)!.grossAmount)).toBe(o.totals.gross);
    });

  it("vatTreatment is pure and lists 26 EU countries besides DK", () => {
    expect(vatTreatment(order({ customer: { countryCode: "GR" }, lines: [line("SKU-1", 1, 100, { vatRate: 0 })], shipping: [] })).treatment).toBe("eu");
    expect(vatTreatment(order({ customer: { countryCode: "NO" }, lines: [line("SKU-1", 1, 100, { vatRate: 0 })], shipping: [] })).treatment).toBe("abroad");
    // Free shipping at 0 % does not make a Danish-VAT order a mix.
    expect(vatTreatment(order({ shipping: [charge(0, 0)] })).treatment).toBe("domestic");
  });
});

describe("e-conomic: totals", () => {
  // Two lines of 10.01 with VAT rounded per line (2.50 each) total 25.02; 25 % of 20.02 is 5.01 (25.03).
  const perLineVat = () => order({ lines: [line("SKU-1", 1, 1001), line("SKU-2", 1, 1001)], shipping: [] });

  it("adds a rounding line when the difference is within the threshold", async () => {
    const session = await openEconomic({ roundingProductNumber: "ROUND", roundingThreshold: 5 });
    const o = perLineVat();
    expect(o.totals.gross).toBe(2502);
    const { document } = await session.createDocument(o, reference(o));
    const draft = fake.drafts.get(Number(document.number))!;
    expect(draft.lines.at(-1)).toMatchObject({ product: { productNumber: "ROUND" }, quantity: 1, unitNetPrice: -0.01 });
    expect(cents(draft.grossAmount)).toBe(o.totals.gross);
  });

  it("beyond the threshold: a draft (never booked) and totals_mismatch carrying the document", async () => {
    const session = await openEconomic({ documentType: "booked", roundingProductNumber: "ROUND", roundingThreshold: 5 });
    const o = order();
    o.totals = { ...o.totals, gross: o.totals.gross + 1000 }; // an order-level discount the lines do not show
    const err = await rejection(session.createDocument(o, reference(o)));
    expect(err.category).toBe("totals_mismatch");
    expect(err.message).toMatch(/differs from the order's total .* by 10\.00 DKK/);
    expect(err.details?.document).toEqual({ type: "draft", number: "1" });
    expect(err.details?.sent).toBeTruthy();
    expect(fake.drafts.size).toBe(1);
    expect(fake.requests("POST", "/invoices/booked")).toHaveLength(0);
  });

  it("without a rounding product any difference is totals_mismatch", () => {
    const o = perLineVat();
    expect(documentTotals(2002, "domestic", o, {}).error?.category).toBe("totals_mismatch");
    expect(documentTotals(2002, "domestic", o, { roundingProductNumber: "ROUND", roundingThreshold: 1 })).toMatchObject({ rounding: -1, gross: 2502, error: null });
  });
});

describe("e-conomic: errors are mapped with e-conomic's message kept", () => {
  it("401 → accounting_auth_failed", async () => {
    const err = await rejection(openEconomic({ agreementGrantToken: "revoked" }));
    expect(err.category).toBe("accounting_auth_failed");
    expect(err.message).toMatch(/401.*Unauthorized access/);
  });

  it("429 with Retry-After → accounting_unavailable with retryAfterSeconds", async () => {
    const session = await openEconomic();
    fake.failNext(1, { status: 429, retryAfter: 30 });
    const o = order();
    const err = await rejection(session.createDocument(o, reference(o)));
    expect(err.category).toBe("accounting_unavailable");
    expect(err.transient).toBe(true);
    expect(err.retryAfterSeconds).toBe(30);
  });

  it("503 and a timeout → accounting_unavailable", async () => {
    fake.failNext(1, { status: 503 });
    expect((await rejection(openEconomic())).category).toBe("accounting_unavailable");
    const client = new EconomicClient({ baseUrl: fake.origin, appSecretToken: fake.appSecretToken, agreementGrantToken: fake.agreementGrantToken, fetch: fake.fetch, timeoutMs: 50 });
    fake.hangNext();
    const err = await rejection(client.get("/vat-zones"));
    expect(err.category).toBe("accounting_unavailable");
    expect(err.message).toMatch(/did not answer/);
    expect(client.calls()).toBe(1);
  });

  it("400 → accounting_rejected with e-conomic's message and field errors", async () => {
    const session = await openEconomic();
    fake.products.delete("SKU-1"); // gone after the master data was loaded
    const o = order();
    const err = await rejection(session.createDocument(o, reference(o)));
    expect(err.category).toBe("accounting_rejected");
    expect(err.message).toMatch(/Validation error\. lines\[0\]\.product: product does not exist\./);
    expect(err.details?.httpStatusCode).toBe(400);
  });

  it("reads both documented error shapes (message / errorMessage)", () => {
    expect(
      fieldErrors({
        paymentTerms: { errors: [{ propertyName: "paymentTerms", errorMessage: "PaymentTerms '4711' not found.", errorCode: "E07080" }] },
        lines: [{ arrayIndex: 1, unitNetPrice: { errors: [{ errorCode: "E04740", message: "unitNetPrice scale cannot be greater then two decimal places." }] } }],
      }),
    ).toEqual(["paymentTerms: PaymentTerms '4711' not found.", "lines[1].unitNetPrice: unitNetPrice scale cannot be greater then two decimal places."]);
  });
});

describe("e-conomic: exactly once", () => {
  it("findDocument finds the draft created by a call whose answer was lost", async () => {
    const o = order();
    const ref = reference(o);
    fake.dropResponseAfterCreate();
    const err = await rejection((await openEconomic()).createDocument(o, ref));
    expect(err.category).toBe("accounting_unavailable");
    expect(fake.drafts.size).toBe(1);

    const retry = await openEconomic();
    expect(await retry.findDocument(ref)).toEqual({ type: "draft", number: "1" });
    const lookup = fake.requests("GET", "/invoices/drafts").at(-1)!;
    expect(lookup.query.get("filter")).toBe(`references.other$eq:Order ${o.orderNumber} $(id ${o.shopOrderId}$) ob:int-econ`);
    expect(await retry.findDocument(reference(order()))).toBeNull();
  });

  it("findDocument finds a booked invoice by its reference", async () => {
    const session = await openEconomic({ documentType: "booked" });
    const o = order();
    await session.createDocument(o, reference(o));
    expect(await session.findDocument(reference(o))).toEqual({ type: "booked", number: "10001" });
  });
});

describe("e-conomic: master data once per session", () => {
  it("10 orders: vat-zones, accounting-years and products are read once", async () => {
    const session = await openEconomic();
    for (let i = 0; i < 10; i++) {
      const o = order({ customer: { email: `same${i % 2}@example.com` } });
      expect(await session.check(o)).toBeNull();
      await session.createDocument(o, reference(o));
    }
    expect(fake.requests("GET", "/vat-zones")).toHaveLength(1);
    expect(fake.requests("GET", "/accounting-years")).toHaveLength(1);
    expect(fake.requests("GET", "/products")).toHaveLength(1);
    // Two customers: one lookup and one creation each; then one POST per draft.
    expect(fake.requests("GET", "/customers")).toHaveLength(2);
    expect(fake.requests("POST", "/invoices/drafts")).toHaveLength(10);
    expect(session.calls()).toBe(fake.log.length);
    expect(session.calls()).toBe(3 + 2 + 2 + 10);
  });

  it("a catalogue beyond one page: the order's products are looked up once, by filter", async () => {
    const products = Array.from({ length: 1500 }, (_, i) => ({ productNumber: `P-${i}`, name: `Product ${i}` }));
    const f = new FakeEconomic({ products: [...products, { productNumber: "SHIP", name: "Shipping" }] });
    const session = await openEconomic({}, f);
    const o = order({ lines: [line("P-1400", 1, 1000), line("P-7", 1, 1000)] });
    expect(await session.check(o)).toBeNull();
    expect(await session.check(o)).toBeNull();
    const lookups = f.requests("GET", "/products");
    expect(lookups).toHaveLength(2);
    expect(lookups[1].query.get("filter")).toBe("productNumber$eq:P-1400$or:productNumber$eq:SHIP");
    expect((await session.check(order({ lines: [line("P-9999", 1, 1000)] })))?.category).toBe("product_missing");
  });
});

// ---------------------------------------------------------------- sandbox accounting

describe("sandbox accounting (D1)", () => {
  const year = new Date().getUTCFullYear();
  let n = 0;
  const open = async (documentType: "draft" | "booked" = "draft") => {
    const integrationId = `sandbox-acc-${Date.now()}-${++n}`;
    const session = await sandboxAccountingAdapter.open(accountingContext({ integrationId, tenantId: "t", settings: { documentType, allowDraftUpdates: true }, env, db: getDb(env), fetch: fake.fetch }));
    return { session, integrationId };
  };
  const sandboxOrder = (over: Parameters<typeof order>[0] = {}) => order({ createdAt: `${year}-03-15T10:00:00Z`, ...over });
  const rows = (integrationId: string) => env.DB.prepare("SELECT number, type, reference, body FROM sandbox_documents WHERE integration_id = ? ORDER BY number").bind(integrationId).all<{ number: number; type: string; reference: string; body: string }>();

  it("creates numbered documents per integration and finds them by reference", async () => {
    const { session, integrationId } = await open();
    const a = sandboxOrder();
    const b = sandboxOrder({ lines: [line("SKU-2", 1, 7900)] });
    expect(await session.check(a)).toBeNull();
    expect((await session.createDocument(a, reference(a, integrationId))).document).toEqual({ type: "draft", number: "1" });
    expect((await session.createDocument(b, reference(b, integrationId))).document).toEqual({ type: "draft", number: "2" });
    expect(await session.findDocument(reference(b, integrationId))).toEqual({ type: "draft", number: "2" });
    expect(await session.findDocument("unknown")).toBeNull();
    const stored = (await rows(integrationId)).results;
    expect(stored.map((r) => [r.number, r.type])).toEqual([[1, "draft"], [2, "draft"]]);
    const body = JSON.parse(stored[0].body);
    expect(body.totals).toEqual({ net: a.totals.net, vat: a.totals.vat, gross: a.totals.gross });
    expect(body.vatZone).toEqual({ number: 1, treatment: "domestic" });

    const other = await open("booked");
    const c = sandboxOrder();
    expect((await other.session.createDocument(c, reference(c, other.integrationId))).document).toEqual({ type: "booked", number: "1" });
  });

  it("updates a draft, never a booked document", async () => {
    const { session, integrationId } = await open();
    const o = sandboxOrder();
    const { document } = await session.createDocument(o, reference(o, integrationId));
    const changed = sandboxOrder({ lines: [line("SKU-3", 1, 14900)] });
    await session.updateDraft(document, changed, reference(o, integrationId));
    expect(JSON.parse((await rows(integrationId)).results[0].body).lines[0].productNumber).toBe("SKU-3");

    const booked = await open("booked");
    const doc = (await booked.session.createDocument(o, reference(o, booked.integrationId))).document;
    expect((await rejection(booked.session.updateDraft(doc, changed, "x"))).category).toBe("accounting_rejected");
  });

  it("fiscal_year_closed for last year's orders; product_missing for unknown SKUs", async () => {
    const { session } = await open();
    expect((await session.check(sandboxOrder({ createdAt: `${year - 1}-06-01T10:00:00Z` })))?.category).toBe("fiscal_year_closed");
    expect((await session.check(sandboxOrder({ lines: [line("NOPE", 1, 100)] })))?.category).toBe("product_missing");
  });

  it("@fail.test is an outage (retried), @reject.test a rejection; nothing is stored", async () => {
    const { session, integrationId } = await open();
    const failing = sandboxOrder({ customer: { email: "demo@fail.test" } });
    const err = await rejection(session.createDocument(failing, reference(failing, integrationId)));
    expect(err.category).toBe("accounting_unavailable");
    expect(err.transient).toBe(true);
    const rejected = sandboxOrder({ customer: { email: "demo@reject.test" } });
    const err2 = await rejection(session.createDocument(rejected, reference(rejected, integrationId)));
    expect(err2.category).toBe("accounting_rejected");
    expect(err2.message).toMatch(/refused/);
    expect((await rows(integrationId)).results).toEqual([]);
  });

  it("totals beyond the rounding threshold: a stored draft and totals_mismatch", async () => {
    const { session, integrationId } = await open("booked");
    const o = sandboxOrder();
    o.totals = { ...o.totals, gross: o.totals.gross - 500 };
    const err = await rejection(session.createDocument(o, reference(o, integrationId)));
    expect(err.category).toBe("totals_mismatch");
    expect(err.details?.document).toEqual({ type: "draft", number: "1" });
    expect((await rows(integrationId)).results.map((r) => r.type)).toEqual(["draft"]);
  });

  it("the same checks as e-conomic (one function)", () => {
    const o = order({ lines: [line(null, 1, 100, { description: "Mystery" })] });
    const master = { accountingYears: [], productNumbers: new Set<string>() };
    expect(checkOrder(o, master, { shippingProductNumber: "SHIP", vatTarget: (t) => ({ domestic: 1, eu: 2, abroad: 3 })[t] })?.category).toBe("sku_missing");
  });
});
