import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { runCron } from "../../src/cron";
import { setOutboundFetch } from "../../src/lib/outbound";
import { createSandboxOrder } from "../../src/modules/sandbox/shop";
import { getDb } from "../../src/db/client";
import { handleMessage } from "../../src/queue";
import { TransferContext } from "../../src/transfers/transfer";
import { fakeMagento, magentoOrder, shopRouter } from "../fakes/shops";
import { call, sandboxDocuments } from "../helpers";
import { activeIntegration, ledgerSummary, pollState, runScheduled, waitUntil } from "./cron-helpers";

let router: ReturnType<typeof shopRouter>;
beforeEach(() => {
  router = shopRouter();
  setOutboundFetch(router.fetch);
});
afterEach(() => setOutboundFetch());

/** A Magento integration against a fake Magento at its own host. */
async function magentoSetup(host: string) {
  const magento = fakeMagento();
  router.routes.set(host, magento.fetch);
  const i = await activeIntegration({ module: "magento", settings: { baseUrl: `https://${host}`, accessToken: "mg-token" } });
  const at = (seconds: number) => new Date(Date.parse(i.createdAt) + seconds * 1000).toISOString();
  return { magento, i, at };
}

/** A context whose queue producer fails or drops messages: a crash or a lost message between recording and enqueuing. */
function contextWithQueue(behaviour: "crash" | "drop") {
  const send = async () => {
    if (behaviour === "crash") throw new Error("the Worker died here");
  };
  // defineProperty, not assignment: assigning through the prototype would reach the shared env's setter.
  return new TransferContext(Object.defineProperty(Object.create(env), "TRANSFERS", { value: { send, sendBatch: send } }) as Env);
}

describe("polling shops without webhooks (Magento, sandbox)", () => {
  it("Magento credit memos become credit notes: a refunded order polled again has its credit memos read (R20)", async () => {
    const { magento, i, at } = await magentoSetup("poll-refunds.magento.example.com");
    magento.put(magentoOrder(7, { createdAt: at(1), updatedAt: at(2) }));
    await runScheduled(10);
    await waitUntil(async () => expect((await ledgerSummary(i.id)).byStatus("transferred")).toEqual(["7"]));
    // The merchant refunds one of the two shirts, and later the other one with the shipping.
    magento.refund(7, { qty: 1, at: at(3) });
    await runScheduled(10);
    const entry = async (n: number) =>
      waitUntil(async () => {
        const e = (await call("GET", `/api/staff/integrations/${i.id}/orders/7`)).json;
        expect(e.creditNotes.filter((c: { status: string }) => c.status === "transferred")).toHaveLength(n);
        return e;
      });
    const one = await entry(1);
    // 1 × 100 + 25 % VAT.
    expect(one.creditNotes[0]).toMatchObject({ refundId: "901", status: "transferred", amount: 12500, currency: "DKK" });
    magento.refund(7, { qty: 1, shipping: true, at: at(4) });
    await runScheduled(10);
    const both = await entry(2);
    expect(both.creditNotes.map((c: { refundId: string; amount: number }) => [c.refundId, c.amount]).sort()).toEqual([["901", 12500], ["902", 17375]]);
    // Polled again unchanged: nothing new (each credit memo is one credit note).
    await runScheduled(10);
    await new Promise((r) => setTimeout(r, 500));
    expect((await call("GET", `/api/staff/integrations/${i.id}/orders/7`)).json.creditNotes).toHaveLength(2);
    const asked = router.requests.filter((r) => r.url.pathname === "/rest/V1/creditmemos");
    expect(asked.length).toBeGreaterThanOrEqual(2);
    expect(asked[0].url.searchParams.get("searchCriteria[filter_groups][0][filters][0][value]")).toBe("7");
  });

  it("polls a fake Magento page by page from the scheduled handler, with orders changing between polls", async () => {
    const { magento, i, at } = await magentoSetup("poll-paging.magento.example.com");
    // 101 orders share one change time, so the first page ends inside the group; the last is a second later.
    for (let id = 1; id <= 101; id++) magento.put(magentoOrder(id, { createdAt: at(1), updatedAt: at(2), status: [1, 100, 101].includes(id) ? "processing" : "pending" }));
    magento.put(magentoOrder(102, { createdAt: at(1), updatedAt: at(3) }));

    await runScheduled(10);
    const first = await waitUntil(async () => {
      const s = await ledgerSummary(i.id);
      expect(s.rows).toBe(102);
      expect(s.byStatus("transferred")).toEqual(["1", "100", "101", "102"]);
      return s;
    });
    expect(first.byStatus("skipped")).toHaveLength(98);
    expect((await pollState(i.id)).cursor).toEqual({ since: new Date(at(3)).toISOString().replace(/\.\d+Z$/, ".000Z"), page: null });
    expect((await pollState(i.id)).health).toMatchObject({ status: "ok" });

    // Between polls: an order becomes paid, a new one arrives, a transferred one is edited (R6, R7).
    magento.put(magentoOrder(50, { createdAt: at(1), updatedAt: at(4) }));
    magento.put(magentoOrder(103, { createdAt: at(4), updatedAt: at(4) }));
    magento.put(magentoOrder(1, { createdAt: at(1), updatedAt: at(5) }));
    await runScheduled(10);
    const second = await waitUntil(async () => {
      const s = await ledgerSummary(i.id);
      expect(s.byStatus("transferred")).toEqual(["1", "50", "100", "101", "102", "103"]);
      return s;
    });
    expect(second.rows).toBe(103);
    expect(Object.values(second.transfersPerOrder)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(await sandboxDocuments(i.id)).toHaveLength(6);
    // Every request asked for changes since the cursor, oldest first, with the token.
    const asked = router.requests.filter((r) => r.url.host === "poll-paging.magento.example.com");
    expect(asked.every((r) => new Headers(r.init?.headers).get("authorization") === "Bearer mg-token" && r.init?.redirect === "manual")).toBe(true);
    expect(asked[0].url.searchParams.get("searchCriteria[filter_groups][0][filters][0][field]")).toBe("updated_at");
    expect(asked[0].url.searchParams.get("searchCriteria[filter_groups][0][filters][0][condition_type]")).toBe("gteq");
  });

  it("two overlapping cron runs neither transfer an order twice nor skip a page", async () => {
    const { magento, i, at } = await magentoSetup("poll-overlap.magento.example.com");
    for (let id = 1; id <= 250; id++) magento.put(magentoOrder(id, { createdAt: at(1), updatedAt: at(1 + id), status: id % 50 === 0 ? "processing" : "pending" }));

    await Promise.all([runScheduled(10), runScheduled(10)]);
    await waitUntil(async () => {
      const s = await ledgerSummary(i.id);
      expect(s.rows).toBe(250);
      expect(s.byStatus("transferred")).toEqual(["50", "100", "150", "200", "250"]);
    });
    await Promise.all([runScheduled(15), runScheduled(15)]);
    await new Promise((r) => setTimeout(r, 1500)); // let the repeated polls run
    const s = await ledgerSummary(i.id);
    expect(s.transfersPerOrder).toEqual({ 50: 1, 100: 1, 150: 1, 200: 1, 250: 1 });
    expect(await sandboxDocuments(i.id)).toHaveLength(5);
  });

  it("a crash between recording a page and advancing the cursor: the next poll reads it again, nothing is transferred twice", async () => {
    const { magento, i, at } = await magentoSetup("poll-crash.magento.example.com");
    magento.put(magentoOrder(1, { createdAt: at(1) }));
    magento.put(magentoOrder(2, { createdAt: at(2) }));

    await expect(handleMessage(contextWithQueue("crash"), { type: "poll", integrationId: i.id }, 1)).rejects.toThrow("the Worker died here");
    expect((await ledgerSummary(i.id)).byStatus("pending")).toEqual(["1", "2"]); // recorded…
    expect((await pollState(i.id)).cursor).toBeNull(); // …but the cursor did not move

    const ctx = new TransferContext(env);
    await handleMessage(ctx, { type: "poll", integrationId: i.id }, 1); // reads the page again
    expect((await pollState(i.id)).cursor.since).toBe(new Date(at(2)).toISOString().replace(/\.\d+Z$/, ".000Z"));
    // The rows whose transfer message was lost are the outbox relay's: once they are stale, it sends them.
    const relayed = await runCron(env, new Date(Date.now() + 21 * 60_000));
    expect(relayed.relayed).toBeGreaterThanOrEqual(2);
    await waitUntil(async () => expect((await ledgerSummary(i.id)).byStatus("transferred")).toEqual(["1", "2"]));
    await handleMessage(ctx, { type: "poll", integrationId: i.id }, 1);
    await runCron(env, new Date(Date.now() + 42 * 60_000));
    await new Promise((r) => setTimeout(r, 500));
    expect((await ledgerSummary(i.id)).transfersPerOrder).toEqual({ 1: 1, 2: 1 });
    expect(await sandboxDocuments(i.id)).toHaveLength(2);
  });

  it("the outbox relay re-enqueues a row stuck in pending (its message was lost), which is then transferred exactly once", async () => {
    const i = await activeIntegration({ module: "sandbox", settings: {} });
    // Order times have whole seconds: made a second after the integration, so it is not before the start point.
    const order = await createSandboxOrder(getDb(env), i.id, { createdAt: new Date(Date.parse(i.createdAt) + 1000).toISOString() });
    await handleMessage(contextWithQueue("drop"), { type: "poll", integrationId: i.id }, 1);
    const id = String(order.id);
    expect((await ledgerSummary(i.id)).byStatus("pending")).toEqual([id]);

    const now = Date.now();
    const fresh = await runCron(env, new Date(now));
    await new Promise((r) => setTimeout(r, 500));
    expect((await ledgerSummary(i.id)).byStatus("pending")).toEqual([id]); // too recent to be called stuck
    expect(fresh.relayed).toBe(0);
    // Its message was due at once: it is recorded as due now.
    const due = await env.DB.prepare("SELECT next_attempt_at FROM ledger WHERE integration_id = ?").bind(i.id).first<{ next_attempt_at: string }>();
    expect(Math.abs(Date.parse(due!.next_attempt_at) - now)).toBeLessThan(60_000);

    // A row waiting out a backoff (due in 10 minutes) is not taken early, even by a cron run minutes later.
    await env.DB.prepare("UPDATE ledger SET next_attempt_at = ? WHERE integration_id = ?").bind(new Date(now + 10 * 60_000).toISOString(), i.id).run();
    expect((await runCron(env, new Date(now + 5 * 60_000))).relayed).toBe(0);
    // Once it is overdue by more than a minute, the next 5-minute run takes it (worst case ≈ 6 minutes).
    expect((await runCron(env, new Date(now + 11.5 * 60_000))).relayed).toBeGreaterThanOrEqual(1);
    await waitUntil(async () => expect((await ledgerSummary(i.id)).byStatus("transferred")).toEqual([id]));
    await runCron(env, new Date(now + 42 * 60_000));
    await new Promise((r) => setTimeout(r, 500));
    expect((await ledgerSummary(i.id)).transfersPerOrder).toEqual({ [id]: 1 });
    expect(await sandboxDocuments(i.id)).toHaveLength(1);
  });
});
