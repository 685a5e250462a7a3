import { describe, expect, it } from "vitest";
import { setOutboundFetch } from "../../src/lib/outbound";
import { FakeEconomic } from "../fakes/economic";
import shopifyDk from "../fixtures/shopify/own-dk-25-taxes-included-discount-shipping.json";
import { delivery, runBatch, setup, soon } from "../transfers/transfer-helpers";
import { addUser, outbox, useRecordingSender } from "./notify-helpers";
import { waitForOrder } from "../helpers";
import { refundDelivery } from "../transfers/credit-notes/consumer-helpers";
import { refunds, shopifyOrder } from "../transfers/credit-notes/shopify-orders";

const goods = { productGroupNumber: 1 };
const products = ["MUG-01", "TEE-RED-M", "SKU-1", "SHIP"].map((productNumber) => ({ productNumber, name: productNumber, salesPrice: 100, productGroup: goods }));
const mail = useRecordingSender();

const order = (id: number) => ({ ...shopifyDk, id, created_at: soon(), updated_at: soon() });

describe("accounting_auth_failed: told at once, once per incident", () => {
  it("a 401 from e-conomic mails the owners (not the members) once; after a successful transfer the next refusal is a new incident", async () => {
    const working = new FakeEconomic({ products });
    setOutboundFetch(working.fetch);
    const { tenant, integration } = await setup("shopify");
    const owner = await addUser(tenant.id, "owner");
    const ownerEn = await addUser(tenant.id, "owner", "en");
    const member = await addUser(tenant.id, "member");
    // The merchant revoked our access in e-conomic: every call answers 401.
    const revoked = new FakeEconomic({ products, agreementGrantToken: "another-grant" });
    setOutboundFetch(revoked.fetch);

    const first = delivery(integration.id, order(7001));
    await runBatch([{ body: first }]);
    expect(revoked.requests().length).toBeGreaterThan(0);
    expect(mail.sent).toHaveLength(2);
    const [da] = mail.to(owner.email);
    expect(da.from).toBe("notifications@orderbridge.test");
    expect(da.subject).toBe("e-conomic afviser adgangen – ordrer fra Shopify → e-conomic overføres ikke");
    expect(da.text).toContain("Unauthorized access.");
    expect(da.text).toContain(`https://orderbridge.test/integrations/${integration.id}?lang=da`);
    expect(da.html).toContain(`href="https://orderbridge.test/integrations/${integration.id}?lang=da"`);
    const [en] = mail.to(ownerEn.email);
    expect(en.subject).toBe("e-conomic refuses access – orders from Shopify → e-conomic are not transferred");
    expect(en.text).toContain("Reconnect e-conomic");
    expect(mail.to(member.email)).toHaveLength(0);

    // The same message again (a queue retry), and more orders refused in the same incident: nothing more.
    await runBatch([{ body: first, attempts: 2 }]);
    await runBatch([{ body: delivery(integration.id, order(7002)) }, { body: delivery(integration.id, order(7003)) }]);
    expect(mail.sent).toHaveLength(2);

    // Fixed: a later transfer succeeds, which ends the incident; a new refusal is told again.
    setOutboundFetch(working.fetch);
    await runBatch([{ body: delivery(integration.id, order(7004)) }]);
    expect(working.drafts.size).toBe(1);
    expect(mail.sent).toHaveLength(2);
    setOutboundFetch(revoked.fetch);
    await runBatch([{ body: delivery(integration.id, order(7005)) }]);
    expect(mail.to(owner.email)).toHaveLength(2);
    expect(mail.to(ownerEn.email)).toHaveLength(2);

    const items = await outbox(tenant.id);
    expect(items).toHaveLength(4);
    expect(items.every((i) => i.kind === "accounting_auth_failed" && i.status === "sent" && i.integrationId === integration.id && i.sentAt)).toBe(true);
    expect(new Set(items.map((i) => i.to))).toEqual(new Set([owner.email, ownerEn.email]));
  });
});

describe("accounting_auth_failed from a credit note (R23 × R25)", () => {
  it("a refund refused with 401 tells the owner at once, once; the credit note shows the category", async () => {
    const working = new FakeEconomic();
    setOutboundFetch(working.fetch);
    const { tenant, integration } = await setup("shopify");
    const owner = await addUser(tenant.id, "owner", "en");
    const paid = shopifyOrder(7201);
    await runBatch([{ body: delivery(integration.id, paid) }]);
    expect((await waitForOrder(integration.id, "7201")).status).toBe("transferred");
    expect(mail.sent).toHaveLength(0);

    setOutboundFetch(new FakeEconomic({ agreementGrantToken: "another-grant" }).fetch);
    await runBatch([{ body: refundDelivery(integration.id, refunds.oneTee(7202, paid.id)) }]);
    const e = await waitForOrder(integration.id, "7201", (x) => x.creditNotes[0]?.status === "failed");
    expect(e.creditNotes[0].error.category).toBe("accounting_auth_failed");
    expect(mail.to(owner.email)).toHaveLength(1);
    expect(mail.to(owner.email)[0].subject).toBe("e-conomic refuses access – orders from Shopify → e-conomic are not transferred");
    // A second refund refused in the same incident: nothing more.
    await runBatch([{ body: refundDelivery(integration.id, refunds.shipping(7203, paid.id)) }]);
    expect(mail.sent).toHaveLength(1);
    expect((await outbox(tenant.id)).map((i) => i.kind)).toEqual(["accounting_auth_failed"]);
  });
});
