/** The import's range (api.md, Imports) as pure functions. */
import { startSecond } from "../domain/ledger";
import { copenhagenMidnightUtc, nextDate } from "../domain/calendar";

export interface ImportRange {
  fromDate: string;
  toDate: string;
  fromOrderNumber: string | null;
  /** The integration's start point: orders from it on are live orders. */
  startAt: string;
}

/** Created from fromDate 00:00 Copenhagen through the whole of toDate, and always before the start point. */
export function createdWindow(r: ImportRange) {
  const from = copenhagenMidnightUtc(r.fromDate).toISOString();
  const endOfTo = copenhagenMidnightUtc(nextDate(r.toDate)).toISOString();
  const start = new Date(startSecond(r.startAt)).toISOString();
  return { from, to: endOfTo < start ? endOfTo : start };
}

/** The number part of an order number ("#1001" → 1001), for "order number ≥ fromOrderNumber". */
export function orderNumberValue(orderNumber: string): number | null {
  const digits = orderNumber.replace(/\D/g, "");
  return digits ? Number(digits) : null;
}

export function inRange(r: ImportRange, order: { createdAt: string; orderNumber: string }) {
  const w = createdWindow(r);
  if (order.createdAt < w.from || order.createdAt >= w.to) return false;
  if (r.fromOrderNumber) {
    const min = orderNumberValue(r.fromOrderNumber);
    const n = orderNumberValue(order.orderNumber);
    if (min !== null && (n === null || n < min)) return false;
  }
  return true;
}

/** R17: the orders found exceed the estimate by more than 25 %. */
export const scopeExceeded = (found: number, estimated: number) => found * 4 > estimated * 5;
