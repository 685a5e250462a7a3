/**
 * What happens to an order the integration sees (pure): transfer it, update its draft, or record why not.
 * R2–R8 are decided here; the transfer consumer only carries the decision out.
 */
import type { CanonicalOrder } from "./order";

export type LedgerStatus = "pending" | "transferred" | "failed" | "skipped";
export type SkipReason = "before_start" | "state_not_allowed" | "integration_inactive" | "already_transferred";
export type Source = "webhook" | "poll" | "import" | "manual";

export interface LedgerState {
  status: LedgerStatus;
  documentType: "draft" | "booked" | null;
  documentNumber: string | null;
  /** The shop's last-change time of the order version we hold. */
  orderUpdatedAt: string | null;
}

export interface IntakeContext {
  /** Whether the integration was active when the order reached us (R4). */
  active: boolean;
  /** The transfer start point (R2/R3); null while a webhook shop was never activated. */
  startAt: string | null;
  allowedStates: string[];
  allowDraftUpdates: boolean;
  /** The event says the order changed (Shopify orders/updated, WooCommerce order.updated, a poll seeing a newer version). */
  isUpdate: boolean;
  /** An import takes orders from before the start point on purpose (R13–R19). */
  source: Source;
}

export type IntakeDecision =
  | { action: "transfer" }
  | { action: "update_draft" }
  | { action: "skip"; reason: SkipReason }
  /** An older or identical version of an order we already hold: nothing to do. */
  | { action: "ignore" };

/**
 * The start point to the whole second: shops send creation times in whole seconds, so an order made in
 * the same second as the activation counts as after it (and is not also an import's).
 */
export const startSecond = (startAt: string) => Math.floor(Date.parse(startAt) / 1000) * 1000;

export function decideIntake(order: CanonicalOrder, existing: LedgerState | null, ctx: IntakeContext): IntakeDecision {
  // A transfer already under way goes on (a retried message after a crash).
  if (existing?.status === "pending") return { action: "transfer" };
  const newer = !existing?.orderUpdatedAt || order.updatedAt > existing.orderUpdatedAt;
  // R7: a transferred order is never transferred twice by an update; a draft may be updated in place.
  if (existing?.status === "transferred") {
    if (newer && existing.documentType === "draft" && ctx.allowDraftUpdates && ctx.active && ctx.source !== "import")
      return { action: "update_draft" };
    return { action: "skip", reason: "already_transferred" };
  }
  // The same or an older version of an order we hold (a redelivery, a reconciliation overlap): nothing new.
  if (existing && !newer && ctx.source !== "import") return { action: "ignore" };
  if (!ctx.active) return { action: "skip", reason: "integration_inactive" }; // R4
  // R2/R3: orders created before the start point are not transferred, unless an update of the order
  // (R6) or an import asks for it.
  const beforeStart = ctx.startAt === null || Date.parse(order.createdAt) < startSecond(ctx.startAt);
  if (beforeStart && !ctx.isUpdate && ctx.source !== "import") return { action: "skip", reason: "before_start" };
  if (!ctx.allowedStates.includes(order.state)) return { action: "skip", reason: "state_not_allowed" }; // R5
  return { action: "transfer" };
}
