import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setOutboundFetch } from "../../src/lib/outbound";
import { FakeBilly, type FakeBillyInvoice } from "../fakes/billy";
import { activate, createIntegration, createTenant, waitForOrder } from "../helpers";
import { runBatch, usage } from "../transfers/transfer-helpers";
import { later, refundDelivery, orderDelivery } from "./consumer-helpers";
import { refunds, shopifyOrder } from "./shopify-orders";

let fake: FakeBilly;
beforeEach(() => {
  fake = new FakeBilly();
  fake.addProduct("SKU-2");
  setOutboundFetch(fake.fetch);
});
afterEach(() => setOutboundFetch());

const entry = (integrationId: string, orderId: number) => waitForOrder(integrationId, String(orderId), () => true);
const byId = (id: string) => fake.invoices.find((i) => i.id === id)!;
const productNo = (id: string) => fake.products.find((p) => p.id === id)!.productNo;
const lineSigns = (inv: FakeBillyInvoice) => inv.lines.map((l) => [productNo(l.productId), l.quantity, l.unitPrice]);
/** The credit note behind a ledger document: a draft by its id, an approved one by its invoice no. */
const noteOf = (document: { type: string; number: string }) => fake.invoices.find((i) => (document.type === "booked" ? i.invoiceNo === document.number : i.id === document.number))!;

async function billyIntegration(settings: Record<string, unknown> = {}) {
  const tenant = await createTenant();
  const integration = await createIntegration(tenant.id, {
    shop: { module: "shopify", settings: { shopDomain: "demo-shop.myshopify.com", accessToken: "shpat", webhookSecret: "shp-secret" } },
    accounting: { module: "billy", settings: { accessToken: fake.token, shippingProductNo: "SHIP", ...settings } },
  });
  await activate(integration.id);
  return { tenant, integration };
}

async function transferred(settings: Record<string, unknown>, id: number) {
  const s = await billyIntegration(settings);
  const order = shopifyOrder(id);
  await runBatch([{ body: orderDelivery(s.integration.id, order) }]);
  const e = await entry(s.integration.id, id);
  expect(e.status, JSON.stringify(e.error)).toBe("transferred");
  return { ...s, order, invoice: e.document as { type: string; number: string } };
}

describe("refunds become Billy credit notes (R20) through the real consumer", () => {
  it("a full refund: one invoice of type creditNote crediting the invoice, the same contact and currency, every line positive; usage unchanged", async () => {
    const { tenant, integration, order, invoice } = await transferred({}, 7201);
    const credited = byId(invoice.number);
    await runBatch([{ body: orderDelivery(integration.id, later(order, { financial_status: "refunded", refunds: [refunds.full(901, order.id)] }), { isUpdate: true }) }]);
    const e = await entry(integration.id, order.id);
    expect(e.creditNotes).toMatchObject([{ refundId: "901", status: "transferred", amount: 50000, currency: "DKK", document: { type: "draft" } }]);
    const note = noteOf(e.creditNotes[0].document);
    expect(note).toMatchObject({ type: "creditNote", creditedInvoiceId: credited.id, contactId: credited.contactId, currencyId: "DKK", taxMode: "excl", state: "draft" });
    expect(note.externalId).toContain("901");
    expect(lineSigns(note)).toEqual([["SKU-1", 2, 100], ["SKU-2", 1, 160], ["SHIP", 1, 40]]);
    expect(fake.net(note)).toBe(40000);
    expect(fake.creditNotes()).toHaveLength(1);
    expect((await usage(tenant.id)).transferredOrders).toBe(1);
  });

  it("a partial refund of one line (refunds/create): the refunded quantity at the invoice's net unit price", async () => {
    const { integration, order } = await transferred({}, 7202);
    await runBatch([{ body: refundDelivery(integration.id, refunds.oneTee(902, order.id)) }]);
    const e = await entry(integration.id, order.id);
    expect(e.creditNotes).toMatchObject([{ refundId: "902", status: "transferred", amount: 12500 }]);
    expect(lineSigns(noteOf(e.creditNotes[0].document))).toEqual([["SKU-1", 1, 100]]);
  });

  it("a shipping-only and an amount-only refund: two credit notes on the shipping product (the amount's net inside Danish VAT)", async () => {
    const { integration, order } = await transferred({}, 7203);
    await runBatch([{ body: refundDelivery(integration.id, refunds.shipping(903, order.id)) }]);
    await runBatch([{ body: refundDelivery(integration.id, refunds.amount(904, order.id, "30.00")) }]);
    const e = await entry(integration.id, order.id);
    expect(e.creditNotes.map((c: { refundId: string; status: string }) => [c.refundId, c.status])).toEqual([["903", "transferred"], ["904", "transferred"]]);
    const [ship, amount] = e.creditNotes.map((c: { document: { type: string; number: string } }) => noteOf(c.document));
    expect(lineSigns(ship)).toEqual([["SHIP", 1, 40]]);
    expect(lineSigns(amount)).toEqual([["SHIP", 1, 24]]);
  });

  it("a refund larger than what is left to credit is totals_mismatch, and nothing is created", async () => {
    const { integration, order } = await transferred({}, 7204);
    await runBatch([{ body: refundDelivery(integration.id, refunds.amount(905, order.id, "600.00")) }]);
    const e = await entry(integration.id, order.id);
    expect(e.creditNotes[0]).toMatchObject({ refundId: "905", status: "failed", error: { category: "totals_mismatch" } });
    expect(fake.creditNotes()).toHaveLength(0);
  });

  it("the same refund delivered ten times, concurrently, is one credit note", async () => {
    const { integration, order } = await transferred({}, 7205);
    const refund = refunds.oneTee(906, order.id);
    await Promise.all(Array.from({ length: 10 }, () => runBatch([{ body: refundDelivery(integration.id, refund) }])));
    await runBatch([{ body: orderDelivery(integration.id, later(order, { financial_status: "partially_refunded", refunds: [refund] }), { isUpdate: true }) }]);
    await waitForOrder(integration.id, String(order.id), (e) => e.creditNotes[0]?.status === "transferred");
    expect(fake.creditNotes()).toHaveLength(1);
  });

  it("approved documents, the answer of the credit note's POST lost: the retry finds it by externalId and approves it once", async () => {
    const { integration, order, invoice } = await transferred({ documentType: "booked" }, 7206);
    expect(invoice.type).toBe("booked");
    fake.loseAnswerOf.push({ method: "POST", path: "/v2/invoices", times: 1 });
    await runBatch([{ body: refundDelivery(integration.id, refunds.oneTee(907, order.id)) }]);
    expect(fake.creditNotes()).toHaveLength(1);
    expect((await entry(integration.id, order.id)).creditNotes[0].status).toBe("pending");
    await runBatch([{ body: { type: "credit_note", integrationId: integration.id, shopOrderId: String(order.id), refundId: "907" }, attempts: 2 }]);
    const e = await waitForOrder(integration.id, String(order.id), (x) => x.creditNotes[0].status === "transferred");
    expect(fake.creditNotes()).toHaveLength(1);
    const note = fake.creditNotes()[0];
    expect(note).toMatchObject({ state: "approved", creditedInvoiceId: fake.invoices.find((i) => i.invoiceNo === invoice.number)!.id });
    expect(e.creditNotes[0].document).toEqual({ type: "booked", number: note.invoiceNo });
  });
});
