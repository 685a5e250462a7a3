/**
 * One suite of refunds → credit notes through the real consumer, run for every accounting module against
 * its fake (full, partial, shipping-only, amount-only, too large, ten times at once, a lost answer).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setOutboundFetch } from "../../../src/lib/outbound";
import type { FetchFn } from "../../../src/lib/outbound";
import { activate, createIntegration, createTenant, waitForOrder } from "../../helpers";
import { runBatch, usage } from "../transfer-helpers";
import { later, orderDelivery, refundDelivery } from "./consumer-helpers";
import { refunds, shopifyOrder } from "./shopify-orders";

/** A credit note as a fake holds it, in words the suite compares. */
export interface NoteView {
  /** [product or line label, quantity, net unit price] as the system writes them. */
  lines: [string, number, number][];
  /** The credited invoice's id in the system. */
  credits: string;
  contact: string;
  currency: string;
  booked: boolean;
  reference: string;
}

export interface CreditNoteSystem {
  module: string;
  /** Labels of the shipping line and of an amount refunded without lines. */
  labels: { shipping: string; amount: string };
  /** A fresh fake with the products the Shopify order needs; returns its fetch and the module's settings. */
  start(): { fetch: FetchFn; settings: Record<string, unknown> };
  /** The invoice behind a ledger document. */
  invoice(document: { type: string; number: string }): { id: string; contact: string; currency: string };
  note(document: { type: string; number: string }): NoteView;
  creditNotes(): NoteView[];
  /** The next answer of the request creating a credit note is lost after the system made it. */
  loseCreditNoteAnswer(): void;
  /** The same for the request creating an invoice. */
  loseInvoiceAnswer(): void;
}

type Doc = { type: string; number: string };

export function creditNoteSuite(name: string, system: () => CreditNoteSystem, firstOrderId: number) {
  describe(`refunds become ${name} credit notes (R20) through the real consumer`, () => {
    let sys: CreditNoteSystem;
    let settings: Record<string, unknown>;
    let nextId = firstOrderId;
    beforeEach(() => {
      sys = system();
      const started = sys.start();
      settings = started.settings;
      setOutboundFetch(started.fetch);
    });
    afterEach(() => setOutboundFetch());

    const entry = (integrationId: string, orderId: number) => waitForOrder(integrationId, String(orderId), () => true);

    async function transferred(extra: Record<string, unknown> = {}, invoiceAnswerLost = false) {
      const tenant = await createTenant();
      const integration = await createIntegration(tenant.id, {
        shop: { module: "shopify", settings: { shopDomain: "demo-shop.myshopify.com", accessToken: "shpat", webhookSecret: "shp-secret" } },
        accounting: { module: sys.module, settings: { ...settings, ...extra } },
      });
      await activate(integration.id);
      const order = shopifyOrder(nextId++);
      const message = orderDelivery(integration.id, order);
      if (invoiceAnswerLost) {
        sys.loseInvoiceAnswer();
        expect((await runBatch([{ body: message }])).retryMessages).toHaveLength(1);
      }
      await runBatch([{ body: message, attempts: invoiceAnswerLost ? 2 : 1 }]);
      const e = await entry(integration.id, order.id);
      expect(e.status, JSON.stringify(e.error)).toBe("transferred");
      return { tenant, integration, order, invoice: e.document as Doc };
    }

    it("a full refund: one credit note crediting the invoice, its contact and currency, every line positive; usage unchanged", async () => {
      const { tenant, integration, order, invoice } = await transferred();
      await runBatch([{ body: orderDelivery(integration.id, later(order, { financial_status: "refunded", refunds: [refunds.full(901, order.id)] }), { isUpdate: true }) }]);
      const e = await entry(integration.id, order.id);
      expect(e.creditNotes).toMatchObject([{ refundId: "901", status: "transferred", amount: 50000, currency: "DKK", document: { type: "draft" } }]);
      const credited = sys.invoice(invoice);
      const note = sys.note(e.creditNotes[0].document);
      expect(note).toMatchObject({ credits: credited.id, contact: credited.contact, currency: "DKK", booked: false });
      expect(note.reference).toContain("901");
      expect(note.lines).toEqual([["SKU-1", 2, 100], ["SKU-2", 1, 160], [sys.labels.shipping, 1, 40]]);
      expect(sys.creditNotes()).toHaveLength(1);
      expect((await usage(tenant.id)).transferredOrders).toBe(1);
    });

    it("a partial refund of one line (refunds/create): the refunded quantity at the invoice's net unit price", async () => {
      const { integration, order } = await transferred();
      await runBatch([{ body: refundDelivery(integration.id, refunds.oneTee(902, order.id)) }]);
      const e = await entry(integration.id, order.id);
      expect(e.creditNotes).toMatchObject([{ refundId: "902", status: "transferred", amount: 12500 }]);
      expect(sys.note(e.creditNotes[0].document).lines).toEqual([["SKU-1", 1, 100]]);
    });

    it("a shipping-only and an amount-only refund: two credit notes (the amount's net inside Danish VAT)", async () => {
      const { integration, order } = await transferred();
      await runBatch([{ body: refundDelivery(integration.id, refunds.shipping(903, order.id)) }]);
      await runBatch([{ body: refundDelivery(integration.id, refunds.amount(904, order.id, "30.00")) }]);
      const e = await entry(integration.id, order.id);
      expect(e.creditNotes.map((c: { refundId: string; status: string }) => [c.refundId, c.status])).toEqual([["903", "transferred"], ["904", "transferred"]]);
      const [ship, amount] = e.creditNotes.map((c: { document: Doc }) => sys.note(c.document));
      expect(ship.lines).toEqual([[sys.labels.shipping, 1, 40]]);
      expect(amount.lines).toEqual([[sys.labels.amount, 1, 24]]);
    });

    it("a refund larger than what is left to credit is totals_mismatch, and nothing is created", async () => {
      const { integration, order } = await transferred();
      await runBatch([{ body: refundDelivery(integration.id, refunds.amount(905, order.id, "600.00")) }]);
      const e = await entry(integration.id, order.id);
      expect(e.creditNotes[0]).toMatchObject({ refundId: "905", status: "failed", error: { category: "totals_mismatch" } });
      expect(sys.creditNotes()).toHaveLength(0);
    });

    it("the same refund delivered ten times, concurrently, is one credit note", async () => {
      const { integration, order } = await transferred();
      const refund = refunds.oneTee(906, order.id);
      await Promise.all(Array.from({ length: 10 }, () => runBatch([{ body: refundDelivery(integration.id, refund) }])));
      await runBatch([{ body: orderDelivery(integration.id, later(order, { financial_status: "partially_refunded", refunds: [refund] }), { isUpdate: true }) }]);
      await waitForOrder(integration.id, String(order.id), (e) => e.creditNotes[0]?.status === "transferred");
      expect(sys.creditNotes()).toHaveLength(1);
    });

    it("booked documents, the answer of the credit note's creation lost: the retry finds it by our reference and books it once", async () => {
      const { integration, order, invoice } = await transferred({ documentType: "booked" });
      expect(invoice.type).toBe("booked");
      sys.loseCreditNoteAnswer();
      await runBatch([{ body: refundDelivery(integration.id, refunds.oneTee(907, order.id)) }]);
      expect(sys.creditNotes()).toHaveLength(1);
      expect((await entry(integration.id, order.id)).creditNotes[0].status).toBe("pending");
      await runBatch([{ body: { type: "credit_note", integrationId: integration.id, shopOrderId: String(order.id), refundId: "907" }, attempts: 2 }]);
      const e = await waitForOrder(integration.id, String(order.id), (x) => x.creditNotes[0].status === "transferred");
      expect(sys.creditNotes()).toHaveLength(1);
      expect(e.creditNotes[0].document.type).toBe("booked");
      expect(sys.note(e.creditNotes[0].document)).toMatchObject({ booked: true, credits: sys.invoice(invoice).id });
    });

    it("drafts, the answer of the credit note's creation lost: the retry finds the draft by our reference and makes no second one", async () => {
      const { integration, order, invoice } = await transferred();
      sys.loseCreditNoteAnswer();
      await runBatch([{ body: refundDelivery(integration.id, refunds.oneTee(909, order.id)) }]);
      expect(sys.creditNotes()).toHaveLength(1);
      await runBatch([{ body: { type: "credit_note", integrationId: integration.id, shopOrderId: String(order.id), refundId: "909" }, attempts: 2 }]);
      const e = await waitForOrder(integration.id, String(order.id), (x) => x.creditNotes[0].status === "transferred");
      expect(sys.creditNotes()).toHaveLength(1);
      expect(sys.note(e.creditNotes[0].document)).toMatchObject({ booked: false, credits: sys.invoice(invoice).id, lines: [["SKU-1", 1, 100]] });
    });

    it("booked, the invoice found after its answer was lost (no body as sent kept): a refund still credits that invoice", async () => {
      const { integration, order, invoice } = await transferred({ documentType: "booked" }, true);
      expect(invoice.type).toBe("booked");
      await runBatch([{ body: refundDelivery(integration.id, refunds.oneTee(908, order.id)) }]);
      const e = await entry(integration.id, order.id);
      expect(e.creditNotes[0], JSON.stringify(e.creditNotes[0].error)).toMatchObject({ refundId: "908", status: "transferred" });
      expect(sys.note(e.creditNotes[0].document)).toMatchObject({ booked: true, credits: sys.invoice(invoice).id, lines: [["SKU-1", 1, 100]] });
    });
  });
}
