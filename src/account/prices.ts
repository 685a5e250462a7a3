import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { plans, prices, tenants } from "../db/schema";
import type { PlanTerms } from "../domain/quota";
import { notFound } from "../lib/errors";

/** The tenant and the terms of its plan; 404 for an unknown tenant. */
export async function tenantPlan(db: Db, tenantId: string): Promise<{ plan: PlanTerms; currency: string }> {
  const row = await db
    .select({ code: plans.code, includedOrders: plans.includedOrders, extraOrderPrice: plans.extraOrderPrice, currency: plans.currency })
    .from(tenants)
    .innerJoin(plans, eq(plans.code, tenants.planCode))
    .where(eq(tenants.id, tenantId))
    .get();
  if (!row) throw notFound("Tenant");
  return { plan: { code: row.code, includedOrders: row.includedOrders, extraOrderPrice: row.extraOrderPrice }, currency: row.currency };
}

/** The price list that is not per plan (one row): top-up tiers and the technician's half-hour price. */
export async function priceList(db: Db) {
  return (await db.select().from(prices).where(eq(prices.id, 1)).get())!;
}
