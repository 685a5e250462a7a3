import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setOutboundFetch } from "../../src/lib/outbound";
import { FakeEconomic } from "../fakes/economic";
import shopifyDk from "../fixtures/shopify/own-dk-25-taxes-included-discount-shipping.json";
import { waitForOrder } from "../helpers";
import { delivery, runBatch, setup, soon } from "./transfer-helpers";

let fake: FakeEconomic;
beforeEach(() => {
  fake = new FakeEconomic({
    products: ["MUG-01", "TEE-RED-M", "SHIP"].map((productNumber) => ({ productNumber, name: productNumber, salesPrice: 100, productGroup: { productGroupNumber: 1 } })),
  });
  setOutboundFetch(fake.fetch);
});
afterEach(() => setOutboundFetch());

const later = (s: number) => new Date(Date.now() + s * 1000).toISOString();

describe("R7 draft updates under the order's lease", () => {
  it("five identical orders/updated deliveries at once make one PUT", async () => {
    const { integration } = await setup("shopify");
    const v1 = { ...shopifyDk, id: 9801, created_at: soon(), updated_at: soon() };
    await runBatch([{ body: delivery(integration.id, v1) }]);
    const v2 = { ...v1, updated_at: later(5), note: "v2" };
    const r = await runBatch(Array.from({ length: 5 }, () => ({ body: delivery(integration.id, v2, { isUpdate: true }) })));
    // The ones that found the draft held are retried; their retry finds the version already on the draft.
    await runBatch(r.retryMessages.map(() => ({ body: delivery(integration.id, v2, { isUpdate: true }), attempts: 2 })));
    expect(fake.requests("PUT")).toHaveLength(1);
    expect((await waitForOrder(integration.id, "9801")).received.note).toBe("v2");
  });

  it("two versions arriving together: the newer one ends on the draft and in the ledger, the older never lands last", async () => {
    const { integration } = await setup("shopify");
    const v1 = { ...shopifyDk, id: 9802, created_at: soon(), updated_at: soon() };
    await runBatch([{ body: delivery(integration.id, v1) }]);
    const [draft] = fake.drafts.keys();
    const v2 = { ...v1, updated_at: later(5), note: "v2", email: "v2@example.dk" };
    const v3 = { ...v1, updated_at: later(9), note: "v3", email: "v3@example.dk" };
    // v3 is sent first, v2 (older) right behind it in the same batch.
    const first = await runBatch([{ body: delivery(integration.id, v3, { isUpdate: true }) }, { body: delivery(integration.id, v2, { isUpdate: true }) }]);
    await runBatch(first.retryMessages.map(() => ({ body: delivery(integration.id, v2, { isUpdate: true }), attempts: 2 })));
    const entry = await waitForOrder(integration.id, "9802");
    expect(entry.received.note).toBe("v3");
    expect(entry.sent.draftInvoiceNumber).toBe(draft);
    expect(fake.requests("PUT")).toHaveLength(1); // v2 was older than what the draft holds: not sent
    expect(JSON.stringify(fake.drafts.get(draft))).not.toContain("v2@example.dk");
  });
});
