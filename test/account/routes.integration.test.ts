import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { chargeOrder } from "../../src/account/client";
import { copenhagenDate, copenhagenMonth } from "../../src/domain/calendar";
import { call, createIntegration, createTenant } from "../helpers";

const sandbox = { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } };

async function tenantWithIntegration(planCode = "basic") {
  const t = await createTenant("Routes ApS", planCode);
  const i = await createIntegration(t.id, sandbox);
  return { tenantId: t.id, integrationId: i.id as string };
}

async function chargeN(tenantId: string, integrationId: string, n: number, at = new Date().toISOString()) {
  await Promise.all(Array.from({ length: n }, (_, k) => chargeOrder(env, { tenantId, integrationId, shopOrderId: String(1000 + k), generation: 0, documentNumber: `D${k}`, at })));
}

async function scopedToken(scopes: string[]) {
  return (await call("POST", "/api/staff/keys", { name: `k-${scopes.join("-")}`, scopes })).json.token as string;
}

describe("staff API: usage", () => {
  it("shows this month's usage by default, and any month with ?month=", async () => {
    const { tenantId, integrationId } = await tenantWithIntegration();
    await chargeN(tenantId, integrationId, 3);
    await chargeOrder(env, { tenantId, integrationId, shopOrderId: "old", generation: 0, documentNumber: "X", at: "2025-06-15T10:00:00Z" });
    const now = await call("GET", `/api/staff/tenants/${tenantId}/usage`);
    expect(now.status).toBe(200);
    expect(now.json).toEqual({
      month: copenhagenMonth(new Date()),
      planCode: "basic",
      includedOrders: 200,
      usedIncluded: 3,
      remainingIncluded: 197,
      reservedIncluded: 0,
      topUpBalance: 0,
      usedTopUp: 0,
      extraOrders: 0,
      extraOrdersCost: 0,
      transferredOrders: 3,
      currency: "DKK",
    });
    const june = await call("GET", `/api/staff/tenants/${tenantId}/usage?month=2025-06`);
    expect(june.json).toMatchObject({ month: "2025-06", usedIncluded: 1, transferredOrders: 1 });
    const reader = await scopedToken(["read"]);
    expect((await call("GET", `/api/staff/tenants/${tenantId}/usage`, undefined, reader)).status).toBe(200);
  });

  it("refuses a bad month (400) and an unknown tenant (404) in the api.md format", async () => {
    const t = await createTenant();
    for (const m of ["2026-13", "2026-1", "202601", "2026-00", "abc", ""]) {
      const r = await call("GET", `/api/staff/tenants/${t.id}/usage?month=${m}`);
      expect(r.status, m).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
    }
    const missing = await call("GET", "/api/staff/tenants/ten_nope/usage");
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("not_found");
  });
});

describe("staff API: top-ups (R12)", () => {
  it("prices every tier boundary of the seeded tiers (1/500/2000/10000)", async () => {
    const t = await createTenant();
    const cases: [number, number][] = [
      [1, 150],
      [499, 150],
      [500, 120],
      [501, 120],
      [1999, 120],
      [2000, 90],
      [9999, 90],
      [10000, 60],
      [1_000_000, 60],
    ];
    for (const [orders, unitPrice] of cases) {
      const r = await call("GET", `/api/staff/tenants/${t.id}/top-up/quote?orders=${orders}`);
      expect(r.status, String(orders)).toBe(200);
      expect(r.json).toEqual({ orders, unitPrice, price: orders * unitPrice, currency: "DKK" });
    }
  });

  it("refuses absurd, negative and non-numeric counts, and unknown tenants", async () => {
    const t = await createTenant();
    for (const q of ["0", "-1", "1.5", "abc", "1000001", ""]) {
      const r = await call("GET", `/api/staff/tenants/${t.id}/top-up/quote?orders=${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
    }
    expect((await call("GET", `/api/staff/tenants/${t.id}/top-up/quote`)).status).toBe(400);
    expect((await call("GET", "/api/staff/tenants/ten_nope/top-up/quote?orders=5")).status).toBe(404);
    for (const body of [{ orders: 0 }, { orders: -5 }, { orders: 2_000_000 }, { orders: "10" }, { orders: 1.5 }, {}, { orders: 5, extra: 1 }]) {
      const r = await call("POST", `/api/staff/tenants/${t.id}/top-ups`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
    }
    expect((await call("POST", "/api/staff/tenants/ten_nope/top-ups", { orders: 5 })).status).toBe(404);
    expect((await call("GET", `/api/staff/tenants/${t.id}/usage`)).json.topUpBalance).toBe(0);
  });

  it("adds a purchase to the balance at the tier price, audited; a purchase id is added once; needs tenants:write", async () => {
    const { tenantId, integrationId } = await tenantWithIntegration();
    const buy = await call("POST", `/api/staff/tenants/${tenantId}/top-ups`, { orders: 500 });
    expect(buy.status).toBe(201);
    expect(buy.json).toMatchObject({ orders: 500, price: 60000, topUpBalance: 500 });
    const twice = { orders: 10, purchaseId: "shop-order-991" };
    expect((await call("POST", `/api/staff/tenants/${tenantId}/top-ups`, twice)).json).toMatchObject({ price: 1500, topUpBalance: 510 });
    expect((await call("POST", `/api/staff/tenants/${tenantId}/top-ups`, twice)).json).toMatchObject({ price: 1500, topUpBalance: 510 });
    const audit = await env.DB.prepare("SELECT action, details FROM audit_log WHERE target_id = ? AND action = 'tenant.top_up'").bind(tenantId).all();
    expect(audit.results).toHaveLength(2);
    const reader = await scopedToken(["read"]);
    expect((await call("POST", `/api/staff/tenants/${tenantId}/top-ups`, { orders: 1 }, reader)).status).toBe(403);
    // The balance is used after the month's included orders.
    await chargeN(tenantId, integrationId, 202);
    expect((await call("GET", `/api/staff/tenants/${tenantId}/usage`)).json).toMatchObject({ usedIncluded: 200, usedTopUp: 2, topUpBalance: 508, extraOrders: 0, transferredOrders: 202 });
  });
});

describe("staff API: import quote (R13, R14)", () => {
  it("the article's example: plan with 200 a month, 50 used, import of 200 → 150 from the plan, 50 extra", async () => {
    const { tenantId, integrationId } = await tenantWithIntegration();
    await chargeN(tenantId, integrationId, 50);
    const r = await call("POST", "/api/staff/imports/quote", { integrationId, fromDate: "2025-01-01", fromOrderNumber: "1001", estimatedOrders: 200, technicianMinutes: 31 });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      month: copenhagenMonth(new Date()),
      remainingIncluded: 150,
      topUpBalance: 0,
      fromIncluded: 150,
      fromTopUp: 0,
      extraOrders: 50,
      extraOrderPrice: 150,
      extraOrdersCost: 7500,
      technicianHalfHours: 2,
      technicianCost: 90000,
      total: 97500,
      currency: "DKK",
    });
  });

  it("takes the top-up balance before extra orders", async () => {
    const { tenantId, integrationId } = await tenantWithIntegration();
    await chargeN(tenantId, integrationId, 190);
    await call("POST", `/api/staff/tenants/${tenantId}/top-ups`, { orders: 30 });
    const r = await call("POST", "/api/staff/imports/quote", { integrationId, fromDate: copenhagenDate(new Date()), estimatedOrders: 100 });
    expect(r.json).toMatchObject({ remainingIncluded: 10, topUpBalance: 30, fromIncluded: 10, fromTopUp: 30, extraOrders: 60, extraOrdersCost: 9000, technicianHalfHours: 0, technicianCost: 0, total: 9000 });
  });

  it("refuses bad input: unknown integration 404, bad or future dates and counts 400, scope 403", async () => {
    const { integrationId } = await tenantWithIntegration();
    expect((await call("POST", "/api/staff/imports/quote", { integrationId: "int_nope", fromDate: "2025-01-01", estimatedOrders: 5 })).status).toBe(404);
    const future = copenhagenDate(new Date(Date.now() + 3 * 86400_000));
    for (const body of [
      { integrationId, fromDate: future, estimatedOrders: 5 },
      { integrationId, fromDate: "2025-02-30", estimatedOrders: 5 },
      { integrationId, fromDate: "01-01-2025", estimatedOrders: 5 },
      { integrationId, fromDate: "2025-01-01", estimatedOrders: -1 },
      { integrationId, fromDate: "2025-01-01", estimatedOrders: 1_000_001 },
      { integrationId, fromDate: "2025-01-01", estimatedOrders: 5, technicianMinutes: -30 },
      { integrationId, fromDate: "2025-01-01" },
    ]) {
      const r = await call("POST", "/api/staff/imports/quote", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
    }
    const reader = await scopedToken(["read"]);
    expect((await call("POST", "/api/staff/imports/quote", { integrationId, fromDate: "2025-01-01", estimatedOrders: 5 }, reader)).status).toBe(403);
  });

  it("lists the new routes in the OpenAPI document", async () => {
    const paths = Object.keys((await call("GET", "/api/staff/openapi.json", undefined, null)).json.paths);
    for (const p of ["/tenants/{id}/usage", "/tenants/{id}/top-up/quote", "/tenants/{id}/top-ups", "/imports/quote"]) expect(paths).toContain(p);
  });
});
