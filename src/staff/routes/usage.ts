import { createRoute, z } from "@hono/zod-openapi";
import { accountStub } from "../../account/client";
import { priceList, tenantPlan } from "../../account/prices";
import { getDb } from "../../db/client";
import { topUpQuote } from "../../domain/pricing";
import { invalid } from "../../lib/errors";
import { copenhagenDate, copenhagenMonth, isValidDate, MONTH_RE } from "../../domain/calendar";
import type { StaffApp } from "../../http/types";
import { auditStatement } from "../audit";
import { commonErrors, IdParam, json, jsonBody, OrderNumber, staff } from "../openapi";
import { requireIntegration } from "./integrations";

/** Counts above this are refused as absurd (400). */
const MAX_ORDERS = 1_000_000;
const MAX_MINUTES = 100_000;

const Usage = z
  .object({
    month: z.string(),
    planCode: z.string(),
    includedOrders: z.int(),
    usedIncluded: z.int(),
    remainingIncluded: z.int(),
    reservedIncluded: z.int(),
    topUpBalance: z.int(),
    usedTopUp: z.int(),
    extraOrders: z.int(),
    extraOrdersCost: z.int(),
    transferredOrders: z.int(),
    currency: z.string(),
  })
  .openapi("Usage");
const UsageQuery = z.object({ month: z.string().regex(MONTH_RE, "month must be YYYY-MM").optional() });
const OrdersQuery = z.object({ orders: z.coerce.number().int().min(1).max(MAX_ORDERS) });
const TopUpQuoteSchema = z.object({ orders: z.int(), unitPrice: z.int(), price: z.int(), currency: z.string() }).openapi("TopUpQuote");
const TopUpBody = z.strictObject({
  orders: z.int().min(1).max(MAX_ORDERS),
  /** Optional idempotency id: the same purchase id adds to the balance once. */
  purchaseId: z.string().min(1).max(100).optional(),
});
const TopUpDone = z
  .object({ orders: z.int(), unitPrice: z.int(), price: z.int(), topUpBalance: z.int(), purchaseId: z.string(), currency: z.string() })
  .openapi("TopUp");
const ImportQuoteBody = z.strictObject({
  integrationId: z.string().min(1).max(100),
  fromDate: z.string(),
  fromOrderNumber: OrderNumber.optional(),
  estimatedOrders: z.int().min(0).max(MAX_ORDERS),
  technicianMinutes: z.int().min(0).max(MAX_MINUTES).optional(),
});
const ImportQuote = z
  .object({
    month: z.string(),
    remainingIncluded: z.int(),
    topUpBalance: z.int(),
    fromIncluded: z.int(),
    fromTopUp: z.int(),
    extraOrders: z.int(),
    extraOrderPrice: z.int(),
    extraOrdersCost: z.int(),
    technicianHalfHours: z.int(),
    technicianCost: z.int(),
    total: z.int(),
    currency: z.string(),
  })
  .openapi("ImportQuote");

export function usageRoutes(app: StaffApp) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{id}/usage",
      tags: ["Tenants"],
      summary: "The tenant's usage of a month (default: this month, Europe/Copenhagen)",
      ...staff("read"),
      request: { params: IdParam, query: UsageQuery },
      responses: { 200: json(Usage), ...commonErrors },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const month = c.req.valid("query").month ?? copenhagenMonth(new Date());
      const { plan, currency } = await tenantPlan(getDb(c.env), id);
      const usage = await accountStub(c.env, id).usage(month, plan);
      return c.json({ ...usage, currency }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{id}/top-up/quote",
      tags: ["Tenants"],
      summary: "The price of a top-up of N orders (R12): the slider's live price",
      ...staff("read"),
      request: { params: IdParam, query: OrdersQuery },
      responses: { 200: json(TopUpQuoteSchema), ...commonErrors },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { orders } = c.req.valid("query");
      const db = getDb(c.env);
      await tenantPlan(db, id);
      const p = await priceList(db);
      return c.json({ ...topUpQuote(p.topUpTiers, orders), currency: p.currency }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/tenants/{id}/top-ups",
      tags: ["Tenants"],
      summary: "Buy a top-up: adds N orders to the prepaid balance (R12)",
      ...staff("tenants:write"),
      request: { params: IdParam, ...jsonBody(TopUpBody) },
      responses: { 201: json(TopUpDone, "Created"), ...commonErrors },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const db = getDb(c.env);
      await tenantPlan(db, id);
      const p = await priceList(db);
      const q = topUpQuote(p.topUpTiers, body.orders);
      const done = await accountStub(c.env, id).topUp(body.orders, body.purchaseId ?? null, q.price);
      if (!done.duplicate)
        await auditStatement(c, "tenant.top_up", { type: "tenant", id, tenantId: id }, { orders: done.orders, price: done.price, purchaseId: done.purchaseId });
      return c.json(
        { orders: done.orders, unitPrice: done.orders > 0 ? Math.round(done.price / done.orders) : q.unitPrice, price: done.price, topUpBalance: done.topUpBalance, purchaseId: done.purchaseId, currency: p.currency },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/imports/quote",
      tags: ["Imports"],
      summary: "The price of an import (R13, R14) from the tenant's live counters",
      ...staff("imports:write"),
      request: jsonBody(ImportQuoteBody),
      responses: { 200: json(ImportQuote), ...commonErrors },
    }),
    async (c) => {
      const body = c.req.valid("json");
      if (!isValidDate(body.fromDate)) throw invalid("fromDate must be a date YYYY-MM-DD", { issues: [{ path: "fromDate", message: "not a valid date" }] });
      if (body.fromDate > copenhagenDate(new Date()))
        throw invalid("fromDate must not be in the future", { issues: [{ path: "fromDate", message: "in the future" }] });
      const integration = await requireIntegration(c.env, body.integrationId);
      const db = getDb(c.env);
      const { plan, currency } = await tenantPlan(db, integration.tenantId);
      const p = await priceList(db);
      const q = await accountStub(c.env, integration.tenantId).quote(body.estimatedOrders, plan, {
        minutes: body.technicianMinutes ?? 0,
        halfHourPrice: p.technicianHalfHourPrice,
      });
      return c.json({ ...q, currency }, 200);
    },
  );
}
