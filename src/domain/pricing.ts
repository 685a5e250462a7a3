/** Prices: top-up volume tiers (R12), technician time (R14). Pure functions, integer minor units. */

export interface TopUpTier {
  minOrders: number;
  unitPrice: number;
}

/** Why a tier table is refused, or null when it is valid: lowest tier at 1, ascending, prices never rise. */
export function tierTableProblem(tiers: TopUpTier[]): string | null {
  if (tiers.length === 0) return "at least one tier is required";
  if (tiers[0].minOrders !== 1) return "the lowest tier must have minOrders 1";
  for (let i = 1; i < tiers.length; i++) {
    if (tiers[i].minOrders <= tiers[i - 1].minOrders) return "tiers must be in ascending order of minOrders";
    if (tiers[i].unitPrice > tiers[i - 1].unitPrice) return "a higher tier must not have a higher unit price";
  }
  return null;
}

/** All N orders cost the unit price of the tier with the highest minOrders ≤ N. */
export function topUpQuote(tiers: TopUpTier[], orders: number) {
  let unitPrice = tiers[0].unitPrice;
  for (const t of tiers) if (t.minOrders <= orders) unitPrice = t.unitPrice;
  return { orders, unitPrice, price: unitPrice * orders };
}

/**
 * The volume tier just above `orders` when buying up to it costs no more ("499 cost more than 500"): the
 * hint beside the slider. Null when no such tier exists.
 */
export function cheaperAbove(tiers: TopUpTier[], orders: number): { orders: number; price: number } | null {
  const { price } = topUpQuote(tiers, orders);
  const next = tiers.find((t) => t.minOrders > orders);
  if (!next) return null;
  const at = topUpQuote(tiers, next.minOrders);
  return at.price <= price ? { orders: next.minOrders, price: at.price } : null;
}

/** Technician time is billed per started half hour (31 minutes = 2). */
export const halfHoursFor = (minutes: number) => Math.ceil(minutes / 30);
