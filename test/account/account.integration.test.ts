import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import type { TenantAccount } from "../../src/account/account-do";
import { accountStub, chargeOrder, type ChargeRequest } from "../../src/account/client";
import type { PlanTerms } from "../../src/domain/quota";
import { call, createTenant } from "../helpers";

let seq = 0;
const uid = (p: string) => `${p}_${Date.now().toString(36)}_${(seq++).toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

/** A plan of its own (so a test's numbers are small) and a tenant on it. */
async function tenantOnPlan(includedOrders: number, extraOrderPrice = 150) {
  const code = uid("p").toLowerCase().slice(0, 40);
  const put = await call("PUT", `/api/staff/plans/${code}`, { name: code, includedOrders, monthlyPrice: 0, extraOrderPrice });
  if (put.status !== 200) throw new Error(`plan: ${put.status} ${put.text}`);
  const t = await createTenant("Quota ApS", code);
  const plan: PlanTerms = { code, includedOrders, extraOrderPrice };
  return { tenantId: t.id, plan, stub: accountStub(env, t.id) };
}

const JAN = "2026-01-15T10:00:00.000Z";
/** An RPC promise awaited in an async function (expect(...).rejects on the raw RPC promise leaves an unhandled twin). */
const settled = async <T>(p: Promise<T>) => await p;

const req = (tenantId: string, shopOrderId: string, over: Partial<ChargeRequest> = {}): ChargeRequest => ({
  tenantId,
  integrationId: "int_a",
  shopOrderId,
  generation: 0,
  documentNumber: `D-${shopOrderId}`,
  at: JAN,
  ...over,
});

describe("tenant account: charges (R9–R11)", () => {
  it("takes each source in turn: included, then top-up, then extra at the plan's price", async () => {
    const { tenantId, plan, stub } = await tenantOnPlan(2, 175);
    expect((await stub.topUp(2, "buy-1", 300)).topUpBalance).toBe(2);
    const sources = [];
    for (let i = 1; i <= 5; i++) sources.push((await chargeOrder(env, req(tenantId, String(i)))).source);
    expect(sources).toEqual(["included", "included", "topUp", "topUp", "extra"]);
    expect(await stub.usage("2026-01", plan)).toMatchObject({
      month: "2026-01",
      includedOrders: 2,
      usedIncluded: 2,
      remainingIncluded: 0,
      usedTopUp: 2,
      topUpBalance: 0,
      extraOrders: 1,
      extraOrdersCost: 175,
      transferredOrders: 5,
    });
  });

  it("counts the same charge once, returning the original answer with duplicate: true", async () => {
    const { tenantId, plan, stub } = await tenantOnPlan(1);
    const first = await chargeOrder(env, req(tenantId, "450789469"));
    expect(first).toMatchObject({ source: "included", month: "2026-01", duplicate: false });
    const again = await chargeOrder(env, req(tenantId, "450789469", { documentNumber: "other", at: "2026-03-01T10:00:00Z" }));
    expect(again).toMatchObject({ source: "included", month: "2026-01", duplicate: true });
    expect((await stub.usage("2026-01", plan)).transferredOrders).toBe(1);
    expect((await stub.usage("2026-03", plan)).transferredOrders).toBe(0);
  });

  it("100 concurrent calls for 60 distinct orders with repeats count exactly 60, split in serial order", async () => {
    const { tenantId, plan, stub } = await tenantOnPlan(20, 100);
    await stub.topUp(15, null, 0);
    const ids = Array.from({ length: 100 }, (_, i) => String(i < 60 ? i : (i * 7) % 60));
    const results = await Promise.all(ids.map((id) => chargeOrder(env, req(tenantId, id))));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(60);
    expect(results.filter((r) => r.duplicate)).toHaveLength(40);
    expect(await stub.usage("2026-01", plan)).toMatchObject({ usedIncluded: 20, usedTopUp: 15, extraOrders: 25, extraOrdersCost: 2500, transferredOrders: 60, topUpBalance: 0 });
    // Every repeat got the same source as the call that counted.
    const bySource = new Map<string, string>();
    for (let i = 0; i < ids.length; i++) {
      const prev = bySource.get(ids[i]);
      if (prev) expect(results[i].source).toBe(prev);
      else bySource.set(ids[i], results[i].source);
    }
    await runInDurableObject(stub, (_: TenantAccount, state) => {
      expect(state.storage.sql.exec("SELECT count(*) AS n FROM charges").one().n).toBe(60);
    });
  });

  it("a 'transfer again' (generation 1) counts again; its own retry does not (R8, R9)", async () => {
    const { tenantId, plan, stub } = await tenantOnPlan(10);
    await chargeOrder(env, req(tenantId, "7"));
    expect((await chargeOrder(env, req(tenantId, "7", { generation: 1, documentNumber: "D-7b" }))).duplicate).toBe(false);
    expect((await chargeOrder(env, req(tenantId, "7", { generation: 1, documentNumber: "D-7b" }))).duplicate).toBe(true);
    expect((await stub.usage("2026-01", plan)).transferredOrders).toBe(2);
  });

  it("two integrations of one tenant share the quota; the same shop order id in each counts twice", async () => {
    const { tenantId, plan, stub } = await tenantOnPlan(3);
    const a = [await chargeOrder(env, req(tenantId, "1", { integrationId: "int_a" })), await chargeOrder(env, req(tenantId, "2", { integrationId: "int_a" }))];
    const b = [await chargeOrder(env, req(tenantId, "1", { integrationId: "int_b" })), await chargeOrder(env, req(tenantId, "2", { integrationId: "int_b" }))];
    expect([...a, ...b].map((r) => r.source)).toEqual(["included", "included", "included", "extra"]);
    expect(await stub.usage("2026-01", plan)).toMatchObject({ usedIncluded: 3, extraOrders: 1, transferredOrders: 4 });
  });

  it("keeps tenants apart", async () => {
    const one = await tenantOnPlan(1);
    const two = await tenantOnPlan(1);
    await one.stub.topUp(5, null, 0);
    await chargeOrder(env, req(one.tenantId, "1"));
    await chargeOrder(env, req(one.tenantId, "2"));
    expect(await one.stub.usage("2026-01", one.plan)).toMatchObject({ usedIncluded: 1, usedTopUp: 1, topUpBalance: 4 });
    expect(await two.stub.usage("2026-01", two.plan)).toMatchObject({ usedIncluded: 0, usedTopUp: 0, topUpBalance: 0, transferredOrders: 0 });
    expect((await chargeOrder(env, req(two.tenantId, "1"))).source).toBe("included");
    // An account refuses a charge addressed to another tenant.
    await expect(settled(one.stub.charge(req(two.tenantId, "9")))).rejects.toThrow(/belongs to tenant/);
  });

  it("rolls over to a fresh month of included orders", async () => {
    const { tenantId, plan, stub } = await tenantOnPlan(2);
    const jan = await Promise.all(["1", "2", "3"].map((id) => chargeOrder(env, req(tenantId, id, { at: "2026-01-20T12:00:00Z" }))));
    expect(jan.map((r) => r.source).sort()).toEqual(["extra", "included", "included"]);
    const feb = await chargeOrder(env, req(tenantId, "4", { at: "2026-02-01T12:00:00Z" }));
    expect(feb).toMatchObject({ source: "included", month: "2026-02" });
    expect((await stub.usage("2026-01", plan)).transferredOrders).toBe(3);
    expect(await stub.usage("2026-02", plan)).toMatchObject({ usedIncluded: 1, remainingIncluded: 1, transferredOrders: 1 });
    expect((await stub.months()).months.map((m) => m.month)).toEqual(["2026-01", "2026-02"]);
  });

  it("picks the month in Europe/Copenhagen time, also across the daylight-saving changes (R10)", async () => {
    const { tenantId } = await tenantOnPlan(100);
    const cases: [string, string][] = [
      ["2026-01-31T22:59:59Z", "2026-01"], // 23:59:59 CET
      ["2026-01-31T23:30:00Z", "2026-02"], // 00:30 CET on 1 February
      ["2026-03-29T00:59:59Z", "2026-03"], // 01:59:59 CET, the second before summer time
      ["2026-03-29T01:00:00Z", "2026-03"], // 03:00 CEST
      ["2026-03-31T21:59:59Z", "2026-03"], // 23:59:59 CEST
      ["2026-03-31T22:00:00Z", "2026-04"], // 00:00 CEST on 1 April
      ["2026-09-30T22:00:00Z", "2026-10"], // 00:00 CEST on 1 October
      ["2026-10-24T22:30:00Z", "2026-10"], // 00:30 CEST on 25 October
      ["2026-10-25T00:30:00Z", "2026-10"], // 02:30 CEST, the first of the repeated hour
      ["2026-10-25T01:30:00Z", "2026-10"], // 02:30 CET, the second
      ["2026-10-31T22:59:59Z", "2026-10"], // 23:59:59 CET
      ["2026-10-31T23:00:00Z", "2026-11"], // 00:00 CET on 1 November
      ["2026-12-31T23:00:00Z", "2027-01"], // new year in Copenhagen
      ["2026-12-31T22:59:59.999Z", "2026-12"],
      ["2027-01-01T00:30:00+01:00", "2027-01"], // an offset in the input is honoured
    ];
    for (const [i, [at, month]] of cases.entries()) {
      const r = await chargeOrder(env, req(tenantId, `edge-${i}`, { at }));
      expect(r.month, at).toBe(month);
    }
  });

  it("refuses malformed charges without counting anything", async () => {
    const { tenantId, plan, stub } = await tenantOnPlan(5);
    await expect(chargeOrder(env, req(tenantId, "1", { at: "yesterday" }))).rejects.toThrow(/at must be/);
    await expect(chargeOrder(env, req(tenantId, "1", { generation: -1 }))).rejects.toThrow(/generation/);
    await expect(chargeOrder(env, req(tenantId, ""))).rejects.toThrow(/shopOrderId/);
    await expect(settled(stub.topUp(-3))).rejects.toThrow(/orders/);
    await expect(settled(stub.topUp(2_000_000))).rejects.toThrow(/orders/);
    await expect(settled(stub.usage("2026-13", plan))).rejects.toThrow(/YYYY-MM/);
    expect((await stub.months()).months).toEqual([]);
  });

  it("adds a top-up purchase once per purchase id", async () => {
    const { stub } = await tenantOnPlan(0);
    expect(await stub.topUp(500, "order-77", 60000)).toMatchObject({ orders: 500, price: 60000, topUpBalance: 500, duplicate: false });
    expect(await stub.topUp(500, "order-77", 60000)).toMatchObject({ orders: 500, topUpBalance: 500, duplicate: true });
    expect((await stub.topUp(1)).topUpBalance).toBe(501);
  });

  it("keeps the D1 copy usage_months, and can rebuild it from the account", async () => {
    const { tenantId, stub } = await tenantOnPlan(1);
    await chargeOrder(env, req(tenantId, "1"));
    await chargeOrder(env, req(tenantId, "2"));
    await chargeOrder(env, req(tenantId, "3", { at: "2026-02-10T10:00:00Z" }));
    await runDurableObjectAlarm(stub);
    const copy = async () =>
      (await env.DB.prepare("SELECT month, used_included, used_top_up, extra_orders FROM usage_months WHERE tenant_id = ? ORDER BY month").bind(tenantId).all()).results;
    expect(await copy()).toEqual([
      { month: "2026-01", used_included: 1, used_top_up: 0, extra_orders: 1 },
      { month: "2026-02", used_included: 1, used_top_up: 0, extra_orders: 0 },
    ]);
    await env.DB.prepare("DELETE FROM usage_months WHERE tenant_id = ?").bind(tenantId).run();
    expect(await stub.syncUsageCopy(true)).toBe(2);
    expect(await copy()).toHaveLength(2);
    const all = await stub.months();
    expect(all.tenantId).toBe(tenantId);
    expect(all.months.map((m) => [m.month, m.transferredOrders])).toEqual([["2026-01", 2], ["2026-02", 1]]);
  });
});

describe("tenant account: import quote and reservations (R13, item 6)", () => {
  it("quotes from the live counters: the article's example", async () => {
    const { tenantId, plan, stub } = await tenantOnPlan(200);
    const now = new Date().toISOString();
    await Promise.all(Array.from({ length: 50 }, (_, i) => chargeOrder(env, req(tenantId, `live-${i}`, { at: now }))));
    const q = await stub.quote(200, plan, { minutes: 31, halfHourPrice: 45000 });
    expect(q).toMatchObject({ remainingIncluded: 150, fromIncluded: 150, fromTopUp: 0, extraOrders: 50, extraOrdersCost: 7500, technicianHalfHours: 2, technicianCost: 90000, total: 97500 });
  });

  it("holds included orders for an import; live orders go on to top-up and extra; billing and usage agree", async () => {
    const { tenantId, plan, stub } = await tenantOnPlan(10, 100);
    await stub.topUp(1, null, 0);
    for (const id of ["1", "2"]) await chargeOrder(env, req(tenantId, id));
    const q = await stub.quote(6, plan, undefined, JAN);
    expect(q).toMatchObject({ remainingIncluded: 8, fromIncluded: 6 });
    expect(await stub.reserve("imp_1", 6, plan, JAN)).toEqual({ importId: "imp_1", month: "2026-01", held: 6, status: "active" });
    expect((await stub.quote(6, plan, undefined, JAN)).remainingIncluded).toBe(2);
    expect((await stub.usage("2026-01", plan)).reservedIncluded).toBe(6);

    // Live and import orders interleaved, in one serial order.
    const live = [];
    const imp = [];
    for (let i = 0; i < 7; i++) {
      live.push((await chargeOrder(env, req(tenantId, `live-${i}`))).source);
      if (i < 5) imp.push((await chargeOrder(env, req(tenantId, `old-${i}`, { importId: "imp_1" }))).source);
    }
    expect(live).toEqual(["included", "included", "topUp", "extra", "extra", "extra", "extra"]);
    expect(imp).toEqual(["included", "included", "included", "included", "included"]);
    // A retry of an import charge does not use the hold twice.
    expect((await chargeOrder(env, req(tenantId, "old-0", { importId: "imp_1" }))).duplicate).toBe(true);
    expect((await stub.importBilling("imp_1")).reservation?.held).toBe(1);

    const end = await stub.release("imp_1");
    expect(end).toMatchObject({ released: 1, fromIncluded: 5, fromTopUp: 0, extraOrders: 0, chargedOrders: 5 });
    expect(await stub.release("imp_1")).toMatchObject({ released: 0, fromIncluded: 5 });
    // The released order is free again for live orders.
    expect((await chargeOrder(env, req(tenantId, "live-after"))).source).toBe("included");
    expect(await stub.usage("2026-01", plan)).toMatchObject({ usedIncluded: 10, usedTopUp: 1, extraOrders: 4, reservedIncluded: 0, transferredOrders: 15 });
  });

  it("an import beyond its hold is charged like any order: free included, top-up, extra", async () => {
    const { tenantId, plan, stub } = await tenantOnPlan(3, 50);
    expect((await stub.reserve("imp_2", 2, plan, JAN)).held).toBe(2);
    const srcs = [];
    for (let i = 0; i < 5; i++) srcs.push((await chargeOrder(env, req(tenantId, `o${i}`, { importId: "imp_2" }))).source);
    expect(srcs).toEqual(["included", "included", "included", "extra", "extra"]);
    expect(await stub.importBilling("imp_2")).toMatchObject({ fromIncluded: 3, extraOrders: 2, extraOrdersCost: 100 });
    // Re-reserving counts what the import already charged: nothing is left to hold.
    expect((await stub.reserve("imp_2", 6, plan, JAN)).held).toBe(0);
  });

  it("two imports cannot hold the same included orders", async () => {
    const { plan, stub } = await tenantOnPlan(10);
    expect((await stub.reserve("a", 7, plan, JAN)).held).toBe(7);
    expect((await stub.reserve("b", 7, plan, JAN)).held).toBe(3);
    expect((await stub.reserve("a", 2, plan, JAN)).held).toBe(2); // re-sized down
    expect((await stub.reserve("b", 7, plan, JAN)).held).toBe(7);
  });
});

describe("tenant account: property (fast-check)", () => {
  type Op = { kind: "charge"; order: number; integration: number; generation: number; month: number } | { kind: "topUp"; orders: number; purchase: number | null };
  const MONTHS = ["2026-01-31T22:59:59Z", "2026-01-31T23:00:00Z", "2026-03-15T12:00:00Z"];
  const MONTH_OF = ["2026-01", "2026-02", "2026-03"];
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant("charge" as const), order: fc.nat(12), integration: fc.nat(1), generation: fc.nat(1), month: fc.nat(2) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("topUp" as const), orders: fc.integer({ min: 1, max: 4 }), purchase: fc.option(fc.nat(3), { nil: null }) }) },
  );

  it("the counters equal a simple model's for random charges, retries and top-ups", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.nat(6), async (ops, included) => {
        const tenantId = uid("prop");
        const plan: PlanTerms = { code: "m", includedOrders: included, extraOrderPrice: 13 };
        const stub = accountStub(env, tenantId);
        // The model.
        const charged = new Map<string, { source: string; month: string }>();
        const used: Record<string, { inc: number; top: number; extra: number }> = {};
        const purchases = new Set<number>();
        let balance = 0;
        for (const o of ops) {
          if (o.kind === "topUp") {
            const r = await stub.topUp(o.orders, o.purchase === null ? null : `p${o.purchase}`, 0);
            if (o.purchase === null || !purchases.has(o.purchase)) balance += o.orders;
            if (o.purchase !== null) purchases.add(o.purchase);
            expect(r.topUpBalance).toBe(balance);
            continue;
          }
          const key = `${o.integration}:${o.order}:${o.generation}`;
          const month = MONTH_OF[o.month];
          const r = await stub.charge({ tenantId, integrationId: `i${o.integration}`, shopOrderId: String(o.order), generation: o.generation, documentNumber: "d", at: MONTHS[o.month], plan });
          const prior = charged.get(key);
          if (prior) {
            expect(r).toMatchObject({ ...prior, duplicate: true });
            continue;
          }
          const u = (used[month] ??= { inc: 0, top: 0, extra: 0 });
          const source = u.inc < included ? "included" : balance > 0 ? "topUp" : "extra";
          if (source === "included") u.inc++;
          else if (source === "topUp") (u.top++, balance--);
          else u.extra++;
          charged.set(key, { source, month });
          expect(r).toMatchObject({ source, month, duplicate: false });
        }
        for (const month of MONTH_OF) {
          const u = used[month] ?? { inc: 0, top: 0, extra: 0 };
          expect(await stub.usage(month, plan)).toMatchObject({
            usedIncluded: u.inc,
            usedTopUp: u.top,
            extraOrders: u.extra,
            extraOrdersCost: u.extra * 13,
            transferredOrders: u.inc + u.top + u.extra,
            remainingIncluded: included - u.inc,
            topUpBalance: balance,
          });
        }
      }),
      { numRuns: 40 },
    );
  });

  it("with imports, holds and releases in the mix, month counters always equal the charge rows and imports' billing", async () => {
    type IOp = { kind: "live" | "import"; order: number; imp: number } | { kind: "reserve"; imp: number; orders: number } | { kind: "release"; imp: number } | { kind: "topUp"; orders: number };
    const iop: fc.Arbitrary<IOp> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom("live" as const, "import" as const), order: fc.nat(15), imp: fc.nat(1) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("reserve" as const), imp: fc.nat(1), orders: fc.nat(8) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("release" as const), imp: fc.nat(1) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("topUp" as const), orders: fc.integer({ min: 1, max: 3 }) }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(iop, { maxLength: 40 }), fc.nat(8), async (ops, included) => {
        const tenantId = uid("prop2");
        const plan: PlanTerms = { code: "m", includedOrders: included, extraOrderPrice: 9 };
        const stub = accountStub(env, tenantId);
        // Run them concurrently: any serial order the object picks must keep the books consistent.
        await Promise.all(
          ops.map((o) => {
            if (o.kind === "topUp") return stub.topUp(o.orders);
            if (o.kind === "reserve") return stub.reserve(`imp${o.imp}`, o.orders, plan, JAN);
            if (o.kind === "release") return stub.release(`imp${o.imp}`);
            const importId = o.kind === "import" ? `imp${o.imp}` : null;
            return stub.charge({ tenantId, integrationId: importId ? "x" : "y", shopOrderId: String(o.order), generation: 0, documentNumber: "d", at: JAN, importId, plan });
          }),
        );
        const usage = await stub.usage("2026-01", plan);
        expect(usage.usedIncluded).toBeLessThanOrEqual(included);
        expect(usage.usedIncluded + usage.reservedIncluded).toBeLessThanOrEqual(included);
        const billed = [await stub.importBilling("imp0"), await stub.importBilling("imp1")];
        await runInDurableObject(stub, (_: TenantAccount, state) => {
          const sql = state.storage.sql;
          const rows = sql.exec<{ source: string; n: number; cost: number }>("SELECT source, count(*) AS n, coalesce(sum(price), 0) AS cost FROM charges GROUP BY source").toArray();
          const n = (s: string) => rows.find((r) => r.source === s)?.n ?? 0;
          expect([usage.usedIncluded, usage.usedTopUp, usage.extraOrders]).toEqual([n("included"), n("topUp"), n("extra")]);
          expect(usage.extraOrdersCost).toBe(rows.reduce((a, r) => a + r.cost, 0));
          const liveRows = sql.exec<{ source: string; n: number }>("SELECT source, count(*) AS n FROM charges WHERE import_id IS NULL GROUP BY source").toArray();
          const live = (s: string) => liveRows.find((r) => r.source === s)?.n ?? 0;
          expect(billed[0].fromIncluded + billed[1].fromIncluded + live("included")).toBe(usage.usedIncluded);
          expect(billed[0].fromTopUp + billed[1].fromTopUp + live("topUp")).toBe(usage.usedTopUp);
          expect(billed[0].extraOrders + billed[1].extraOrders + live("extra")).toBe(usage.extraOrders);
          const bought = sql.exec<{ n: number }>("SELECT coalesce(sum(orders), 0) AS n FROM top_ups").one().n;
          expect(usage.topUpBalance).toBe(bought - usage.usedTopUp);
        });
      }),
      { numRuns: 30 },
    );
  });
});
