import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { priceList } from "../../account/prices";
import { getDb, type Db } from "../../db/client";
import { plans, prices } from "../../db/schema";
import { tierTableProblem } from "../../domain/pricing";
import { invalid } from "../../lib/errors";
import type { StaffApp } from "../../http/types";
import { auditStatement } from "../audit";
import { commonErrors, json, jsonBody, staff } from "../openapi";

const money = () => z.int().min(0).max(100_000_000);
const Plan = z
  .object({ code: z.string(), name: z.string(), includedOrders: z.int(), monthlyPrice: z.int(), extraOrderPrice: z.int(), currency: z.string() })
  .openapi("Plan");
const Tier = z.strictObject({ minOrders: z.int().min(1).max(10_000_000), unitPrice: money() });
const PriceList = z
  .object({ plans: z.array(Plan), topUpTiers: z.array(Tier), technicianHalfHourPrice: z.int(), currency: z.string() })
  .openapi("PriceList");
const PutPlan = z.strictObject({
  name: z.string().min(1).max(100),
  includedOrders: z.int().min(0).max(10_000_000),
  monthlyPrice: money(),
  extraOrderPrice: money(),
});
const PutPrices = z.strictObject({ topUpTiers: z.array(Tier).min(1).max(50), technicianHalfHourPrice: money() });
const PlanCode = z.object({ code: z.string().regex(/^[a-z0-9_-]{1,40}$/) });

export async function loadPriceList(db: Db) {
  const [allPlans, p] = await Promise.all([db.select().from(plans).all(), priceList(db)]);
  return { plans: allPlans, topUpTiers: p.topUpTiers, technicianHalfHourPrice: p.technicianHalfHourPrice, currency: p.currency };
}

export function planRoutes(app: StaffApp) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/plans",
      tags: ["Plans"],
      summary: "Plans, top-up tiers and the technician price",
      ...staff("read"),
      responses: { 200: json(PriceList), ...commonErrors },
    }),
    async (c) => c.json(await loadPriceList(getDb(c.env)), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/plans/{code}",
      tags: ["Plans"],
      summary: "Create or replace a plan",
      ...staff("tenants:write"),
      request: { params: PlanCode, ...jsonBody(PutPlan) },
      responses: { 200: json(Plan), ...commonErrors },
    }),
    async (c) => {
      const { code } = c.req.valid("param");
      const body = c.req.valid("json");
      const db = getDb(c.env);
      const row = { code, ...body, currency: "DKK" };
      await db.batch([
        db.insert(plans).values(row).onConflictDoUpdate({ target: plans.code, set: body }),
        auditStatement(c, "plan.put", { type: "plan", id: code }, body),
      ]);
      return c.json(row, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/prices",
      tags: ["Plans"],
      summary: "Replace the top-up tiers and the technician half-hour price",
      ...staff("tenants:write"),
      request: jsonBody(PutPrices),
      responses: { 200: json(PriceList), ...commonErrors },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const problem = tierTableProblem(body.topUpTiers);
      if (problem) throw invalid(`Top-up tiers refused: ${problem}`, { issues: [{ path: "topUpTiers", message: problem }] });
      const db = getDb(c.env);
      await db.batch([
        db.update(prices).set(body).where(eq(prices.id, 1)),
        auditStatement(c, "prices.put", { type: "prices", id: "1" }, body),
      ]);
      return c.json(await loadPriceList(db), 200);
    },
  );
}
