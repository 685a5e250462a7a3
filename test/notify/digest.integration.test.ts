import { beforeEach, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { runCron } from "../../src/cron";
import { setOutboundFetch } from "../../src/lib/outbound";
import { digestSlot } from "../../src/notify/digest";
import { FakeEconomic } from "../fakes/economic";
import shopifyDk from "../fixtures/shopify/own-dk-25-taxes-included-discount-shipping.json";
import { call } from "../helpers";
import { delivery, runBatch, setup, soon } from "../transfers/transfer-helpers";
import { addUser, outbox, useRecordingSender } from "./notify-helpers";
import { refundDelivery } from "../transfers/credit-notes/consumer-helpers";
import { refunds, shopifyOrder } from "../transfers/credit-notes/shopify-orders";

const mail = useRecordingSender();
beforeEach(async () => {
  // The fake knows none of the order's products: its orders fail with product_missing.
  setOutboundFetch(new FakeEconomic().fetch);
  await env.DB.prepare("DELETE FROM notify_digest").run();
});

/** A tenant with an owner (English) and a member (Danish), and `n` orders that failed through the real flow. */
async function failedOrders(n: number, firstId: number) {
  const { tenant, integration } = await setup("shopify");
  const owner = await addUser(tenant.id, "owner", "en");
  const member = await addUser(tenant.id, "member");
  const ids = Array.from({ length: n }, (_, k) => firstId + k);
  await runBatch(ids.map((id) => ({ body: delivery(integration.id, { ...shopifyDk, id, name: `#${id}`, created_at: soon(), updated_at: soon() }) })));
  const rows = (await env.DB.prepare("SELECT status, error_category FROM ledger WHERE integration_id = ?").bind(integration.id).all()).results;
  expect(rows.every((r) => r.status === "failed" && r.error_category === "product_missing")).toBe(true);
  return { tenant, integration, owner, member, ids };
}

const setFailedAt = (integrationId: string, at: string) => env.DB.prepare("UPDATE ledger SET updated_at = ? WHERE integration_id = ?").bind(at, integrationId).run();

describe("failed_orders_digest", () => {
  it("run now (staff): the orders that failed, grouped by category with the fix, to owners and members; a second run sends nothing", async () => {
    const { tenant, owner, member, ids } = await failedOrders(2, 6101);
    const r = await call("POST", "/api/staff/notifications/digest");
    expect(r.status).toBe(202);
    expect(mail.to(owner.email)).toHaveLength(1);
    expect(mail.to(member.email)).toHaveLength(1);
    const en = mail.to(owner.email)[0];
    expect(en.subject).toMatch(/^2 orders did not reach the books – failures since /);
    expect(en.text).toContain("Product missing (2)");
    expect(en.text).toContain("Create the product in the accounting system with the shop's SKU as its number, then press “Transfer again”.");
    // The digest spans integrations: its hint names no setting that one of them may not have.
    expect(en.text).not.toContain("create missing products");
    for (const id of ids) expect(en.text).toContain(`#${id} (Shopify → e-conomic): `);
    expect(en.text).toContain("https://orderbridge.test/log?status=failed&lang=en");
    const da = mail.to(member.email)[0];
    expect(da.subject).toMatch(/^2 ordrer kom ikke i bogholderiet/);
    expect(da.text).toContain("Vare mangler (2)");
    expect(da.text).toContain("Opret varen i regnskabet med samme varenummer som i webshoppen");
    expect(da.html).toContain("<li>#6101 (Shopify → e-conomic): ");

    expect((await call("POST", "/api/staff/notifications/digest", {})).status).toBe(202);
    expect(mail.sent).toHaveLength(2);
    expect((await outbox(tenant.id)).map((i) => i.kind)).toEqual(["failed_orders_digest", "failed_orders_digest"]);
  });

  it("a refund whose credit note failed is in the digest too, with its category and fix (R23); the order itself was transferred", async () => {
    const { tenant, integration } = await setup("shopify");
    const owner = await addUser(tenant.id, "owner", "en");
    const member = await addUser(tenant.id, "member");
    const order = shopifyOrder(6501);
    await runBatch([{ body: delivery(integration.id, order) }]);
    await runBatch([{ body: refundDelivery(integration.id, refunds.amount(6502, order.id, "600.00")) }]);
    const note = await env.DB.prepare("SELECT status, error_category FROM credit_notes WHERE integration_id = ?").bind(integration.id).first();
    expect(note).toEqual({ status: "failed", error_category: "totals_mismatch" });

    expect((await call("POST", "/api/staff/notifications/digest")).status).toBe(202);
    const en = mail.to(owner.email)[0];
    expect(en.subject).toMatch(/^1 refunds did not reach the books – failures since /);
    expect(en.text).toContain("Totals mismatch (1)");
    expect(en.text).toContain("#6501, refund 6502 (Shopify → e-conomic): Refund 6502 gives back 60000");
    const da = mail.to(member.email)[0];
    expect(da.subject).toMatch(/^1 refusioner kom ikke i bogholderiet/);
    expect(da.text).toContain("#6501, refusion 6502 (Shopify → e-conomic): ");
  });

  it("nothing is sent when no order failed", async () => {
    const { tenant } = await setup("shopify");
    const owner = await addUser(tenant.id, "owner");
    expect((await call("POST", "/api/staff/notifications/digest")).status).toBe(202);
    expect(mail.to(owner.email)).toHaveLength(0);
    expect(await outbox(tenant.id)).toEqual([]);
  });

  it("07:00 Copenhagen time across the DST changes", () => {
    // Summer time begins 2026-03-29 (07:00 = 05:00 UTC) and ends 2026-10-25 (07:00 = 06:00 UTC).
    expect(digestSlot(new Date("2026-03-29T04:59:00Z"))).toEqual({ day: "2026-03-28", at: new Date("2026-03-28T06:00:00Z") });
    expect(digestSlot(new Date("2026-03-29T05:00:00Z"))).toEqual({ day: "2026-03-29", at: new Date("2026-03-29T05:00:00Z") });
    expect(digestSlot(new Date("2026-10-25T05:59:00Z"))).toEqual({ day: "2026-10-24", at: new Date("2026-10-24T05:00:00Z") });
    expect(digestSlot(new Date("2026-10-25T06:00:00Z"))).toEqual({ day: "2026-10-25", at: new Date("2026-10-25T06:00:00Z") });
    // Half past midnight local time on New Year's Day: the latest 07:00 was the day before.
    expect(digestSlot(new Date("2026-12-31T23:30:00Z"))).toEqual({ day: "2026-12-31", at: new Date("2026-12-31T06:00:00Z") });
  });

  it("from the 5-minute cron: once a day at 07:00 (summer time), and a late cron still sends once", async () => {
    const { integration, owner } = await failedOrders(1, 6201);
    await env.DB.prepare("INSERT INTO notify_digest (id, last_day, last_cutoff) VALUES (1, '2026-03-28', '2026-03-28T06:00:00.000Z')").run();
    await setFailedAt(integration.id, "2026-03-29T01:00:00.000Z");

    expect((await runCron(env, new Date("2026-03-29T04:55:00Z"))).digest).toBeNull(); // 06:55 local
    expect(mail.sent).toHaveLength(0);
    expect((await runCron(env, new Date("2026-03-29T05:00:00Z"))).digest).toBe(2); // 07:00 local: owner and member
    expect(mail.to(owner.email)).toHaveLength(1);
    expect((await runCron(env, new Date("2026-03-29T05:05:00Z"))).digest).toBeNull();
    expect(mail.sent).toHaveLength(2);

    // The next day the cron is two and a half hours late; it fails again at 20:00 the evening before.
    await setFailedAt(integration.id, "2026-03-29T18:00:00.000Z");
    expect((await runCron(env, new Date("2026-03-30T07:30:00Z"))).digest).toBe(2);
    expect((await runCron(env, new Date("2026-03-30T07:35:00Z"))).digest).toBeNull();
    expect(mail.to(owner.email)).toHaveLength(2);
    // The day after, nothing failed since: the digest is due but sends nothing.
    expect((await runCron(env, new Date("2026-03-31T05:00:00Z"))).digest).toBe(0);
    expect(mail.sent).toHaveLength(4);
  });

  it("in winter time at 06:00 UTC; two cron runs at once send it once", async () => {
    const { integration, owner } = await failedOrders(1, 6301);
    await env.DB.prepare("INSERT INTO notify_digest (id, last_day, last_cutoff) VALUES (1, '2026-10-24', '2026-10-24T05:00:00.000Z')").run();
    await setFailedAt(integration.id, "2026-10-25T02:30:00.000Z");
    expect((await runCron(env, new Date("2026-10-25T05:55:00Z"))).digest).toBeNull(); // 06:55 local (CET)
    const [a, b] = await Promise.all([runCron(env, new Date("2026-10-25T06:00:00Z")), runCron(env, new Date("2026-10-25T06:00:30Z"))]);
    expect([a.digest, b.digest].filter((d) => d !== null).reduce((x, y) => x! + y!, 0)).toBe(2);
    expect(mail.to(owner.email)).toHaveLength(1);
  });

  it("a failed send shows failed in the outbox and is retried by the cron with backoff, once", async () => {
    // Earlier windows are done: this run covers only this test's failures.
    await env.DB.prepare("INSERT INTO notify_digest (id, last_day, last_cutoff) VALUES (1, ?, ?)").bind("2099-01-01", new Date().toISOString()).run();
    const { tenant, owner, member } = await failedOrders(1, 6401);
    mail.failNext(2);
    await call("POST", "/api/staff/notifications/digest");
    const failed = await outbox(tenant.id);
    expect(failed.map((i) => i.status)).toEqual(["failed", "failed"]);
    expect(failed[0]).toMatchObject({ attempts: 1, error: "Email Service answered 503" });
    const now = Date.now();
    // Not before its backoff (a minute): nothing is tried.
    await runCron(env, new Date(now + 20_000));
    expect(mail.sent).toHaveLength(0);
    await runCron(env, new Date(now + 5 * 60_000));
    expect(mail.to(owner.email)).toHaveLength(1);
    expect(mail.to(member.email)).toHaveLength(1);
    await runCron(env, new Date(now + 10 * 60_000));
    await runCron(env, new Date(now + 60 * 60_000));
    expect(mail.sent).toHaveLength(2);
    expect((await outbox(tenant.id)).map((i) => [i.status, i.attempts])).toEqual([["sent", 2], ["sent", 2]]);
  });
});
