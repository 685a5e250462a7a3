/**
 * The quota math of a tenant's month (R11, R13, R14). Pure functions, integer counts and minor units.
 * The Durable Object (src/account/account-do.ts) applies them to its live counters one charge at a time;
 * the import quote applies the same order of sources to many orders at once.
 */
import { halfHoursFor } from "./pricing";

export type ChargeSource = "included" | "topUp" | "extra";

/** The terms of the tenant's plan that the quota needs. */
export interface PlanTerms {
  code: string;
  includedOrders: number;
  /** Minor units per extra order. */
  extraOrderPrice: number;
}

/** Included orders still free in the month: the plan's N minus those used and those held by imports. */
export function remainingIncluded(includedOrders: number, usedIncluded: number, reservedIncluded = 0): number {
  return Math.max(0, includedOrders - usedIncluded - reservedIncluded);
}

/** Where one charged order comes from (R11): the month's included orders, then the top-up balance, then extra. */
export function chargeSource(remaining: number, topUpBalance: number): ChargeSource {
  if (remaining > 0) return "included";
  if (topUpBalance > 0) return "topUp";
  return "extra";
}

/** How `orders` orders split over the sources, exactly as `orders` single charges in a row would. */
export function allocate(orders: number, remaining: number, topUpBalance: number) {
  const fromIncluded = Math.min(orders, Math.max(0, remaining));
  const fromTopUp = Math.min(orders - fromIncluded, Math.max(0, topUpBalance));
  const extraOrders = orders - fromIncluded - fromTopUp;
  return { fromIncluded, fromTopUp, extraOrders };
}

export interface ImportQuoteInput {
  estimatedOrders: number;
  /** The month's included orders still free (not used, not held by another import). */
  remainingIncluded: number;
  topUpBalance: number;
  extraOrderPrice: number;
  technicianMinutes?: number;
  technicianHalfHourPrice: number;
}

/**
 * The price of an import (R13, R14): remaining included orders first, then the top-up balance, the rest
 * at the plan's extra-order price; technician time per started half hour. Starting the run is free.
 * Article: 200 a month, 50 used, import of 200 → fromIncluded 150, extraOrders 50.
 */
export function importQuote(i: ImportQuoteInput) {
  const { fromIncluded, fromTopUp, extraOrders } = allocate(i.estimatedOrders, i.remainingIncluded, i.topUpBalance);
  const extraOrdersCost = extraOrders * i.extraOrderPrice;
  const technicianHalfHours = halfHoursFor(i.technicianMinutes ?? 0);
  const technicianCost = technicianHalfHours * i.technicianHalfHourPrice;
  return {
    remainingIncluded: i.remainingIncluded,
    topUpBalance: i.topUpBalance,
    fromIncluded,
    fromTopUp,
    extraOrders,
    extraOrderPrice: i.extraOrderPrice,
    extraOrdersCost,
    technicianHalfHours,
    technicianCost,
    total: extraOrdersCost + technicianCost,
  };
}
