import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { allocate, chargeSource, importQuote, remainingIncluded } from "../../src/domain/quota";

describe("quota math (R11, R13, R14)", () => {
  it("the article's example: 200 a month, 50 used, import of 200 → 150 from the plan, 50 extra", () => {
    const q = importQuote({
      estimatedOrders: 200,
      remainingIncluded: remainingIncluded(200, 50),
      topUpBalance: 0,
      extraOrderPrice: 150,
      technicianHalfHourPrice: 45000,
    });
    expect(q).toMatchObject({ remainingIncluded: 150, fromIncluded: 150, fromTopUp: 0, extraOrders: 50, extraOrdersCost: 7500, technicianHalfHours: 0, total: 7500 });
  });

  it("takes included orders, then the top-up balance, then extra", () => {
    expect(chargeSource(1, 5)).toBe("included");
    expect(chargeSource(0, 5)).toBe("topUp");
    expect(chargeSource(0, 0)).toBe("extra");
    expect(allocate(10, 3, 4)).toEqual({ fromIncluded: 3, fromTopUp: 4, extraOrders: 3 });
    expect(allocate(2, 3, 4)).toEqual({ fromIncluded: 2, fromTopUp: 0, extraOrders: 0 });
    expect(remainingIncluded(200, 250)).toBe(0);
    expect(remainingIncluded(200, 50, 100)).toBe(50);
  });

  it("bills technician time per started half hour (31 minutes = 2)", () => {
    const at = (m: number) => importQuote({ estimatedOrders: 0, remainingIncluded: 0, topUpBalance: 0, extraOrderPrice: 1, technicianMinutes: m, technicianHalfHourPrice: 45000 });
    expect(at(0).technicianHalfHours).toBe(0);
    expect(at(1).technicianHalfHours).toBe(1);
    expect(at(30).technicianHalfHours).toBe(1);
    expect(at(31)).toMatchObject({ technicianHalfHours: 2, technicianCost: 90000, total: 90000 });
  });

  it("a quote of n orders equals n single charges in a row", () => {
    fc.assert(
      fc.property(fc.nat(500), fc.nat(300), fc.nat(300), (n, remaining, balance) => {
        let r = remaining;
        let b = balance;
        const got = { fromIncluded: 0, fromTopUp: 0, extraOrders: 0 };
        for (let i = 0; i < n; i++) {
          const s = chargeSource(r, b);
          if (s === "included") (r--, got.fromIncluded++);
          else if (s === "topUp") (b--, got.fromTopUp++);
          else got.extraOrders++;
        }
        expect(allocate(n, remaining, balance)).toEqual(got);
      }),
    );
  });
});
