import { describe, expect, it } from "vitest";
import { pace } from "../../src/imports/service";

describe("the pace of a running import (Import.progress.ordersPerMinute, etaSeconds)", () => {
  const startedAt = "2026-03-01T10:00:00.000Z";
  const at = (minutes: number) => Date.parse(startedAt) + minutes * 60_000;
  it("orders finished a minute since the start, and the seconds left for the rest of the estimate", () => {
    expect(pace({ startedAt, estimatedOrders: 1000, found: 300 }, 300, at(2))).toEqual({ ordersPerMinute: 150, etaSeconds: 280 });
  });
  it("counts what was found when it is more than the estimate; nothing before the first order", () => {
    expect(pace({ startedAt, estimatedOrders: 100, found: 200 }, 100, at(1))).toEqual({ ordersPerMinute: 100, etaSeconds: 60 });
    expect(pace({ startedAt, estimatedOrders: 100, found: 0 }, 0, at(1))).toEqual({});
  });
});
