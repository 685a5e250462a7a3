/** Rules review probes (R20–R22) through the real consumer against the fake e-conomic. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { setOutboundFetch } from "../../../src/lib/outbound";
import { FakeEconomic, cents } from "../../fakes/economic";
import { waitForOrder } from "../../helpers";
import { delivery, runBatch, setup } from "../transfer-helpers";
import { refundDelivery } from "./consumer-helpers";
import { refunds, shopifyOrder } from "./shopify-orders";

let fake: FakeEconomic;
beforeEach(() => {
  fake = new FakeEconomic();
  setOutboundFetch(fake.fetch);
});
afterEach(() => setOutboundFetch());

describe("credit notes under concurrency (R20, R22)", () => {
  it("a refund of an unknown order delivered ten times at once: one waiting row, then one credit note after the invoice", async () => {
    const { integration } = await setup("shopify");
    const order = shopifyOrder(7301);
    const refund = refunds.oneTee(931, order.id);
    await Promise.all(Array.from({ length: 10 }, () => runBatch([{ body: refundDelivery(integration.id, refund) }])));
    const rows = await env.DB.prepare("SELECT status FROM credit_notes WHERE integration_id = ?").bind(integration.id).all();
    expect(rows.results).toEqual([{ status: "waiting" }]);
    await runBatch([{ body: delivery(integration.id, order) }]);
    const e = await waitForOrder(integration.id, String(order.id), (x) => x.creditNotes[0]?.status === "transferred");
    expect(e.creditNotes).toHaveLength(1);
    expect(fake.creditNotes()).toHaveLength(1);
  });

  it("two different refunds delivered at once that together exceed the order: the books never credit more than the invoice", async () => {
    const { integration } = await setup("shopify");
    const order = shopifyOrder(7302);
    await runBatch([{ body: delivery(integration.id, order) }]);
    await Promise.all([
      runBatch([{ body: refundDelivery(integration.id, refunds.amount(932, order.id, "300.00")) }]),
      runBatch([{ body: refundDelivery(integration.id, refunds.amount(933, order.id, "300.00")) }]),
    ]);
    // The one that followed the other is taken up again (its own message, as the queue would deliver it).
    for (const refundId of ["932", "933"]) await runBatch([{ body: { type: "credit_note", integrationId: integration.id, shopOrderId: String(order.id), refundId } }]);
    const e = await waitForOrder(integration.id, String(order.id), (x) => x.creditNotes.length === 2 && x.creditNotes.every((c: { status: string }) => c.status !== "pending"));
    const statuses = e.creditNotes.map((c: { status: string }) => c.status).sort();
    expect(statuses).toEqual(["failed", "transferred"]);
    expect(e.creditNotes.find((c: { status: string }) => c.status === "failed").error.category).toBe("totals_mismatch");
    expect(fake.creditNotes().reduce((s, n) => s + cents(n.grossAmount), 0)).toBe(-30000);
  });
});
