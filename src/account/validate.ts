/** The checks of the tenant account's RPC arguments: a bad call is refused before anything is written. */
import type { PlanTerms } from "../domain/quota";
import { MONTH_RE } from "../domain/calendar";

export const MAX_COUNT = 1_000_000;

export function requireString(v: unknown, name: string, max = 200): string {
  if (typeof v !== "string" || v.length === 0 || v.length > max) throw new TypeError(`${name} must be a non-empty string (at most ${max} characters)`);
  return v;
}

export function requireCount(v: unknown, name: string, min = 0, max = MAX_COUNT): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) throw new RangeError(`${name} must be an integer from ${min} to ${max}`);
  return v;
}

export function requirePlan(plan: PlanTerms): PlanTerms {
  if (!plan || typeof plan !== "object") throw new TypeError("plan is required");
  return {
    code: requireString(plan.code, "plan.code", 40),
    includedOrders: requireCount(plan.includedOrders, "plan.includedOrders", 0, 100_000_000),
    extraOrderPrice: requireCount(plan.extraOrderPrice, "plan.extraOrderPrice", 0, 100_000_000),
  };
}

export function requireMonth(month: string): string {
  if (typeof month !== "string" || !MONTH_RE.test(month)) throw new RangeError("month must be YYYY-MM");
  return month;
}

export function instant(at: unknown, name = "at"): Date {
  const d = typeof at === "string" || at instanceof Date ? new Date(at) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new RangeError(`${name} must be an ISO 8601 time`);
  return d;
}
