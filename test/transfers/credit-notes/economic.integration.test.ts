import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { createMessageBatch } from "cloudflare:test";
import { setOutboundFetch } from "../../../src/lib/outbound";
import { handleDeadLetters } from "../../../src/queue";
import type { TransferMessage } from "../../../src/transfers/messages";
import { FakeEconomic, cents } from "../../fakes/economic";
import { call, economicSettingsComplete, waitForOrder } from "../../helpers";
import { delivery, runBatch, setup, usage } from "../transfer-helpers";
import { later, refundDelivery } from "./consumer-helpers";
import { refunds, shopifyOrder } from "./shopify-orders";

let fake: FakeEconomic;
beforeEach(() => {
  fake = new FakeEconomic();
  setOutboundFetch(fake.fetch);
});
afterEach(() => setOutboundFetch());

const entry = (integrationId: string, orderId: number) => waitForOrder(integrationId, String(orderId), () => true);
const lineSigns = (invoice: { lines: { product?: { productNumber: string }; quantity?: number; unitNetPrice?: number }[] }) =>
  invoice.lines.map((l) => [l.product?.productNumber, l.quantity, l.unitNetPrice]);

async function transferred(shop: "shopify", accounting: Record<string, unknown> = {}, id = 7001) {
  const s = await setup(shop, accounting);
  const order = shopifyOrder(id);
  await runBatch([{ body: delivery(s.integration.id, order) }]);
  const e = await entry(s.integration.id, id);
  expect(e.status, JSON.stringify(e.error)).toBe("transferred");
  return { ...s, order, invoiceNumber: e.document.number as string };
}

describe("refunds become e-conomic credit notes (R20)", () => {
  it("a full refund (orders/updated with the order's refunds): one credit note, every line negated, same customer, VAT zone and currency; usage unchanged", async () => {
    const { tenant, integration, order, invoiceNumber } = await transferred("shopify");
    const invoice = fake.drafts.get(Number(invoiceNumber))!;
    await runBatch([{ body: delivery(integration.id, later(order, { financial_status: "refunded", refunds: [refunds.full(801, order.id)] }), { isUpdate: true }) }]);
    const e = await entry(integration.id, order.id);
    expect(e.creditNotes).toHaveLength(1);
    expect(e.creditNotes[0]).toMatchObject({ refundId: "801", status: "transferred", amount: 50000, currency: "DKK", document: { type: "draft" } });
    const note = fake.drafts.get(Number(e.creditNotes[0].document.number))!;
    expect(lineSigns(note)).toEqual([["SKU-1", -2, 100], ["SKU-2", -1, 160], ["SHIP", -1, 40]]);
    expect(cents(note.grossAmount)).toBe(-50000);
    expect(note.customer).toEqual(invoice.customer);
    expect(note.recipient.vatZone.vatZoneNumber).toBe(economicSettingsComplete.vatZones.domestic);
    expect(note.currency).toBe("DKK");
    const words = note.references!.other!.split(" ");
    expect(words).toEqual(expect.arrayContaining(["801", invoiceNumber, order.name]));
    expect(fake.creditNotes()).toHaveLength(1);
    expect((await usage(tenant.id)).transferredOrders).toBe(1); // R23: credit notes never count
  });

  it("a partial refund of one line (refunds/create): the refunded quantity at the invoice's net unit price", async () => {
    const { integration, order } = await transferred("shopify", {}, 7002);
    const out = await runBatch([{ body: refundDelivery(integration.id, refunds.oneTee(802, order.id)) }]);
    expect(out.explicitAcks).toHaveLength(1);
    const e = await entry(integration.id, order.id);
    expect(e.creditNotes).toMatchObject([{ refundId: "802", status: "transferred", amount: 12500 }]);
    const note = fake.drafts.get(Number(e.creditNotes[0].document.number))!;
    expect(lineSigns(note)).toEqual([["SKU-1", -1, 100]]);
    expect(cents(note.netAmount)).toBe(-10000);
    expect(cents(note.vatAmount)).toBe(-2500);
  });

  it("a shipping-only and an amount-only refund of one order: two credit notes on the shipping product", async () => {
    const { integration, order } = await transferred("shopify", {}, 7003);
    await runBatch([{ body: refundDelivery(integration.id, refunds.shipping(803, order.id)) }]);
    await runBatch([{ body: refundDelivery(integration.id, refunds.amount(804, order.id, "30.00")) }]);
    const e = await entry(integration.id, order.id);
    expect(e.creditNotes.map((c: { refundId: string; status: string; amount: number }) => [c.refundId, c.status, c.amount])).toEqual([
      ["803", "transferred", 5000],
      ["804", "transferred", 3000],
    ]);
    const [ship, amount] = e.creditNotes.map((c: { document: { number: string } }) => fake.drafts.get(Number(c.document.number))!);
    expect(lineSigns(ship)).toEqual([["SHIP", -1, 40]]);
    // 30.00 gross inside Danish VAT: net 24.00, VAT 6.00.
    expect(lineSigns(amount)).toEqual([["SHIP", -1, 24]]);
    expect(cents(amount.grossAmount)).toBe(-3000);
  });

  it("a refund larger than what is left to credit fails as totals_mismatch with a clear message, and nothing is created", async () => {
    const { integration, order } = await transferred("shopify", {}, 7004);
    await runBatch([{ body: refundDelivery(integration.id, refunds.amount(805, order.id, "400.00")) }]);
    await runBatch([{ body: refundDelivery(integration.id, refunds.amount(806, order.id, "200.00")) }]);
    const e = await entry(integration.id, order.id);
    expect(e.creditNotes[0]).toMatchObject({ refundId: "805", status: "transferred" });
    expect(e.creditNotes[1]).toMatchObject({ refundId: "806", status: "failed", error: { category: "totals_mismatch" } });
    expect(e.creditNotes[1].error.message).toContain("more than the 10000 left to credit");
    expect(e.creditNotes[1].error.hint).not.toBe("");
    expect(fake.creditNotes()).toHaveLength(1);
  });

  it("the same refund delivered ten times, concurrently, is one credit note", async () => {
    const { integration, order } = await transferred("shopify", {}, 7005);
    const refund = refunds.oneTee(807, order.id);
    await Promise.all(Array.from({ length: 10 }, () => runBatch([{ body: refundDelivery(integration.id, refund) }])));
    await runBatch([{ body: delivery(integration.id, later(order, { financial_status: "partially_refunded", refunds: [refund] }), { isUpdate: true }) }]);
    await waitForOrder(integration.id, String(order.id), (e) => e.creditNotes[0]?.status === "transferred");
    expect(fake.creditNotes()).toHaveLength(1);
  });

  it("after a lost answer the credit note is found by its reference, not made twice", async () => {
    const { integration, order } = await transferred("shopify", {}, 7006);
    fake.loseAnswer("POST", /^\/invoices\/drafts$/, "drop");
    await runBatch([{ body: refundDelivery(integration.id, refunds.oneTee(808, order.id)) }]);
    expect(fake.creditNotes()).toHaveLength(1);
    let e = await entry(integration.id, order.id);
    expect(e.creditNotes[0].status).toBe("pending");
    // The retry (its own credit_note message) looks the reference up and records the draft it finds.
    await runBatch([{ body: { type: "credit_note", integrationId: integration.id, shopOrderId: String(order.id), refundId: "808" }, attempts: 2 }]);
    e = await waitForOrder(integration.id, String(order.id), (x) => x.creditNotes[0].status === "transferred");
    expect(fake.creditNotes()).toHaveLength(1);
    expect(e.creditNotes[0].document.number).toBe(String(fake.creditNotes()[0].draftInvoiceNumber));
  });

  it("an outage is retried on the credit note's own message; when the retries run out the dead-letter queue shows it failed", async () => {
    const { integration, order } = await transferred("shopify", {}, 7010);
    fake.failNext(1, { status: 503 });
    await runBatch([{ body: refundDelivery(integration.id, refunds.oneTee(812, order.id)) }]);
    const pending = await env.DB.prepare("SELECT status, next_attempt_at, updated_at FROM credit_notes WHERE integration_id = ?").bind(integration.id).first<Record<string, string>>();
    expect(pending!.status).toBe("pending");
    expect(pending!.next_attempt_at > pending!.updated_at).toBe(true);
    const message = { type: "credit_note", integrationId: integration.id, shopOrderId: String(order.id), refundId: "812" } as const;
    await handleDeadLetters(createMessageBatch<TransferMessage>("transfers-dlq", [{ id: "d1", timestamp: new Date(), attempts: 7, body: message }]), env);
    const e = await entry(integration.id, order.id);
    expect(e.creditNotes[0]).toMatchObject({ status: "failed", error: { category: "accounting_unavailable" } });
    expect(fake.creditNotes()).toHaveLength(0);
  });

  it("booked documents: the credit note is booked as well", async () => {
    const { integration, order } = await transferred("shopify", { documentType: "booked" }, 7007);
    await runBatch([{ body: refundDelivery(integration.id, refunds.oneTee(809, order.id)) }]);
    const e = await entry(integration.id, order.id);
    expect(e.creditNotes[0]).toMatchObject({ status: "transferred", document: { type: "booked" } });
    expect([...fake.booked.values()].filter((b) => b.grossAmount < 0)).toHaveLength(1);
  });

  it("R23: with creditRefunds off a refund is recorded as skipped and nothing is sent", async () => {
    const { integration, order } = await transferred("shopify", { creditRefunds: false }, 7008);
    await runBatch([{ body: refundDelivery(integration.id, refunds.oneTee(810, order.id)) }]);
    expect((await entry(integration.id, order.id)).creditNotes).toMatchObject([{ refundId: "810", status: "skipped" }]);
    expect(fake.creditNotes()).toHaveLength(0);
  });

  it("transfer again of a refund makes a new credit note (202) and still does not count", async () => {
    const { tenant, integration, order } = await transferred("shopify", {}, 7009);
    await runBatch([{ body: refundDelivery(integration.id, refunds.oneTee(811, order.id)) }]);
    const first = (await entry(integration.id, order.id)).creditNotes[0].document.number;
    const r = await call("POST", `/api/staff/integrations/${integration.id}/orders/${order.id}/refunds/811/transfer-again`);
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ refundId: "811", status: "pending" });
    await runBatch([{ body: { type: "credit_note", integrationId: integration.id, shopOrderId: String(order.id), refundId: "811" } }]);
    const e = await waitForOrder(integration.id, String(order.id), (x) => x.creditNotes[0].status === "transferred");
    expect(e.creditNotes).toHaveLength(1);
    expect(e.creditNotes[0].document.number).not.toBe(first);
    expect(fake.creditNotes()).toHaveLength(2);
    expect((await usage(tenant.id)).transferredOrders).toBe(1);
    expect((await call("POST", `/api/staff/integrations/${integration.id}/orders/${order.id}/refunds/999/transfer-again`)).status).toBe(404);
  });
});

describe("refunds before the transfer and cancellations (R21, R22)", () => {
  it("a refund of an unknown order is recorded and waits; the order comes, its invoice is made, then the credit note", async () => {
    const { integration } = await setup("shopify");
    const order = shopifyOrder(7101);
    await runBatch([{ body: refundDelivery(integration.id, refunds.oneTee(821, order.id)) }]);
    const waiting = await env.DB.prepare("SELECT status, refund FROM credit_notes WHERE integration_id = ?").bind(integration.id).all();
    expect(waiting.results).toEqual([{ status: "waiting", refund: null }]);
    expect(fake.drafts.size).toBe(0);
    await runBatch([{ body: delivery(integration.id, order) }]);
    const e = await entry(integration.id, order.id);
    expect(e.status).toBe("transferred");
    expect(e.creditNotes).toMatchObject([{ refundId: "821", status: "transferred", amount: 12500 }]);
    expect(fake.drafts.size).toBe(2);
  });

  it("an order refunded before its first transfer: its invoice, then one credit note per refund in the shop's order (R22)", async () => {
    const { integration } = await setup("shopify");
    const order = shopifyOrder(7102, { financial_status: "partially_refunded" });
    order.refunds = [refunds.oneTee(822, 7102), refunds.shipping(823, 7102)] as never[];
    await runBatch([{ body: delivery(integration.id, order) }]);
    const e = await entry(integration.id, order.id);
    expect(e.status).toBe("transferred");
    expect(e.creditNotes.map((c: { refundId: string; status: string }) => [c.refundId, c.status])).toEqual([
      ["822", "transferred"],
      ["823", "transferred"],
    ]);
    expect(fake.creditNotes()).toHaveLength(2);
  });

  it("a cancellation of a paid, transferred order credits what no refund gave back ('cancel')", async () => {
    const { tenant, integration, order } = await transferred("shopify", {}, 7103);
    const refund = refunds.oneTee(824, order.id);
    await runBatch([{ body: refundDelivery(integration.id, refund) }]);
    const cancelled = later(order, { cancelled_at: new Date().toISOString(), cancel_reason: "customer", financial_status: "partially_refunded", refunds: [refund] });
    await runBatch([{ body: delivery(integration.id, cancelled, { isUpdate: true, topic: "orders/cancelled" }) }]);
    // Delivered again: still one cancellation credit.
    await runBatch([{ body: delivery(integration.id, cancelled, { isUpdate: true, topic: "orders/cancelled" }) }]);
    const e = await entry(integration.id, order.id);
    expect(e.creditNotes.map((c: { refundId: string; status: string; amount: number }) => [c.refundId, c.status, c.amount])).toEqual([
      ["824", "transferred", 12500],
      ["cancel", "transferred", 37500],
    ]);
    expect(fake.creditNotes().reduce((s, n) => s + cents(n.grossAmount), 0)).toBe(-50000);
    expect((await usage(tenant.id)).transferredOrders).toBe(1);
  });

  it("a cancellation of an unpaid order: nothing was invoiced, so nothing is credited", async () => {
    const { integration } = await setup("shopify");
    const order = shopifyOrder(7104, { financial_status: "pending" });
    await runBatch([{ body: delivery(integration.id, order) }]);
    await runBatch([{ body: delivery(integration.id, later(order, { financial_status: "voided", cancelled_at: new Date().toISOString() }), { isUpdate: true, topic: "orders/cancelled" }) }]);
    const e = await entry(integration.id, order.id);
    expect(e).toMatchObject({ status: "skipped", reason: "state_not_allowed", creditNotes: [] });
    expect(fake.drafts.size).toBe(0);
  });
});
