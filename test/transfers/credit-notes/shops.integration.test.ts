import { afterEach, describe, expect, it } from "vitest";
import { setOutboundFetch } from "../../../src/lib/outbound";
import { demoOrder } from "../../../src/modules/sandbox/shop";
import { FakeEconomic, cents } from "../../fakes/economic";
import { fakeWooCommerce, shopRouter } from "../../fakes/shops";
import { activate, call, createIntegration, createTenant, sandboxDocuments, waitForOrder } from "../../helpers";
import { delivery, runBatch, setup, soon, usage } from "../transfer-helpers";

afterEach(() => setOutboundFetch());

const wooTime = (iso: string) => iso.slice(0, 19);

describe("WooCommerce refunds: order.updated, then GET /orders/{id}/refunds (R20)", () => {
  it("each new refund listed on the order is read once and becomes its own credit note", async () => {
    const economic = new FakeEconomic();
    const woo = fakeWooCommerce("ck", "cs");
    const router = shopRouter();
    router.routes.set("shop.example.com", woo.fetch);
    router.routes.set("economic.fake", economic.fetch);
    setOutboundFetch(router.fetch);
    const { tenant, integration } = await setup("woocommerce");
    // 2 × SKU-1 at 100.00 + shipping 39.00, 25 % VAT: 298.75.
    const at = soon();
    const order = { ...demoOrder(5101, 5101, { createdAt: at }, at), refunds: [] as unknown[] };
    woo.put(order);
    await runBatch([{ body: delivery(integration.id, order, { topic: "order.created" }) }]);
    expect((await waitForOrder(integration.id, "5101")).status).toBe("transferred");

    const refund = (id: number, amount: string, qty: number, shipping: boolean) => ({
      id,
      date_created_gmt: wooTime(new Date().toISOString()),
      amount,
      line_items: [{ id: id * 10, name: "Demo product", sku: "SKU-1", quantity: -qty, total: `-${(100 * qty).toFixed(2)}`, total_tax: `-${(25 * qty).toFixed(2)}`, meta_data: [{ key: "_refunded_item_id", value: "51011" }] }],
      shipping_lines: shipping ? [{ id: id * 10 + 1, total: "-39.00", total_tax: "-9.75" }] : [],
    });
    const updated = (n: number) => ({ ...woo.orders.get(5101)!, date_modified_gmt: wooTime(new Date(Date.parse(at) + n * 1000).toISOString()) });

    woo.refund(5101, refund(61, "125.00", 1, false));
    await runBatch([{ body: delivery(integration.id, updated(5), { topic: "order.updated", isUpdate: true }) }]);
    // Another update without a new refund: the shop is not asked again.
    await runBatch([{ body: delivery(integration.id, updated(6), { topic: "order.updated", isUpdate: true }) }]);
    const refundReads = () => router.requests.filter((r) => r.url.pathname.endsWith("/refunds")).length;
    expect(refundReads()).toBe(1);

    woo.refund(5101, refund(62, "173.75", 1, true));
    await runBatch([{ body: delivery(integration.id, { ...updated(7), status: "refunded" }, { topic: "order.updated", isUpdate: true }) }]);
    expect(refundReads()).toBe(2);
    const e = await waitForOrder(integration.id, "5101", () => true);
    expect(e.creditNotes.map((c: { refundId: string; status: string; amount: number }) => [c.refundId, c.status, c.amount])).toEqual([
      ["61", "transferred", 12500],
      ["62", "transferred", 17375],
    ]);
    const notes = economic.creditNotes();
    expect(notes.map((n) => n.lines.map((l) => [l.product?.productNumber, l.quantity]))).toEqual([[["SKU-1", -1]], [["SKU-1", -1], ["SHIP", -1]]]);
    expect(notes.reduce((s, n) => s + cents(n.grossAmount), 0)).toBe(-29875);
    expect((await usage(tenant.id)).transferredOrders).toBe(1);
  });
});

describe("the sandbox shop and sandbox accounting: a staff call refunds a demo order (R20, R22)", () => {
  async function sandbox() {
    const t = await createTenant();
    const i = await createIntegration(t.id, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    await activate(i.id);
    return { tenant: t, integration: i };
  }
  const poll = (integrationId: string) => runBatch([{ body: { type: "poll", integrationId } }]);

  it("a partial refund, then the rest: two credit notes in the sandbox books, polled like orders, never counted", async () => {
    const { tenant, integration } = await sandbox();
    const order = (await call("POST", `/api/staff/integrations/${integration.id}/sandbox/orders`, {})).json;
    await poll(integration.id);
    await runBatch([{ body: { type: "transfer", integrationId: integration.id, shopOrderId: String(order.id) } }]);
    expect((await waitForOrder(integration.id, String(order.id))).status).toBe("transferred");

    const partial = await call("POST", `/api/staff/integrations/${integration.id}/sandbox/orders/${order.id}/refunds`, { quantity: 1 });
    expect(partial.status).toBe(201);
    expect((await call("POST", `/api/staff/integrations/${integration.id}/sandbox/orders/${order.id}/refunds`, { quantity: 5 })).status).toBe(422);
    await poll(integration.id);
    const rest = await call("POST", `/api/staff/integrations/${integration.id}/sandbox/orders/${order.id}/refunds`);
    expect(rest.status).toBe(201);
    await poll(integration.id);
    const e = await waitForOrder(integration.id, String(order.id), (x) => x.creditNotes.length === 2 && x.creditNotes.every((c: { status: string }) => c.status === "transferred"));
    expect(e.creditNotes.map((c: { amount: number }) => c.amount)).toEqual([12500, 17375]);
    const docs = await sandboxDocuments(integration.id);
    const credit = docs.filter((d) => JSON.parse(d.body).type === "creditNote").map((d) => JSON.parse(d.body));
    expect(credit.map((c) => c.totals.gross)).toEqual([-12500, -17375]);
    expect(credit[0].lines).toEqual([expect.objectContaining({ productNumber: "SKU-1", quantity: -1, unitNetPrice: 10000 })]);
    expect(credit.every((c) => c.creditedInvoice === docs[0].number.toString())).toBe(true);
    expect((await usage(tenant.id)).transferredOrders).toBe(1);
  });

  it("a refund of an order taken in but not transferred yet waits, and follows its invoice (R22)", async () => {
    const { integration } = await sandbox();
    const order = (await call("POST", `/api/staff/integrations/${integration.id}/sandbox/orders`, {})).json;
    expect((await call("POST", `/api/staff/integrations/${integration.id}/sandbox/orders/${order.id}/refunds`, { shipping: true })).status).toBe(201);
    await poll(integration.id);
    const before = await waitForOrder(integration.id, String(order.id), () => true);
    expect(before.status).toBe("pending");
    expect(before.creditNotes).toMatchObject([{ status: "waiting", amount: 4875 }]);
    await runBatch([{ body: { type: "transfer", integrationId: integration.id, shopOrderId: String(order.id) } }]);
    const after = await waitForOrder(integration.id, String(order.id), (x) => x.status === "transferred" && x.creditNotes[0].status === "transferred");
    expect(after.creditNotes[0].document.number).not.toBe(after.document.number);
  });
});
