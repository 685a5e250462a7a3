import { describe, expect, it } from "vitest";
import { decideIntake, type IntakeContext, type LedgerState } from "../../src/domain/ledger";
import type { CanonicalOrder } from "../../src/domain/order";

const START = "2026-03-03T10:15:00.000Z";
const order = (o: Partial<CanonicalOrder> = {}): CanonicalOrder => ({
  shopOrderId: "1",
  orderNumber: "#1001",
  createdAt: "2026-03-04T08:00:00.000Z",
  updatedAt: "2026-03-04T08:00:00.000Z",
  state: "paid",
  cancelled: false,
  currency: "DKK",
  pricesIncludeVat: true,
  customer: { name: "A", email: "a@b.dk", company: null, countryCode: "DK", address: null, zip: null, city: null },
  lines: [],
  shipping: [],
  fees: [],
  totals: { net: 0, vat: 0, gross: 0 },
  ...o,
});
const ctx = (c: Partial<IntakeContext> = {}): IntakeContext => ({
  active: true,
  startAt: START,
  allowedStates: ["paid", "partially_paid"],
  allowDraftUpdates: true,
  isUpdate: false,
  source: "webhook",
  ...c,
});
const state = (s: Partial<LedgerState>): LedgerState => ({ status: "skipped", documentType: null, documentNumber: null, orderUpdatedAt: "2026-03-04T08:00:00.000Z", ...s });

describe("decideIntake", () => {
  it("transfers a new order in an allowed state after the start point", () => {
    expect(decideIntake(order(), null, ctx())).toEqual({ action: "transfer" });
  });

  it("R2/R3: an order created before the start point is skipped as before_start", () => {
    expect(decideIntake(order({ createdAt: "2026-03-03T10:14:59.999Z" }), null, ctx())).toEqual({ action: "skip", reason: "before_start" });
    expect(decideIntake(order({ createdAt: START }), null, ctx())).toEqual({ action: "transfer" });
    // Shops send whole seconds: an order of the activation's own second is after the start point.
    expect(decideIntake(order({ createdAt: "2026-03-03T10:15:00.000Z" }), null, ctx({ startAt: "2026-03-03T10:15:00.640Z" }))).toEqual({ action: "transfer" });
  });

  it("R4: an inactive integration records the order as integration_inactive", () => {
    expect(decideIntake(order(), null, ctx({ active: false }))).toEqual({ action: "skip", reason: "integration_inactive" });
    expect(decideIntake(order(), null, ctx({ active: false, startAt: null }))).toEqual({ action: "skip", reason: "integration_inactive" });
  });

  it("R5: other states are skipped as state_not_allowed, and a later update into an allowed state transfers", () => {
    const pending = order({ state: "pending" });
    expect(decideIntake(pending, null, ctx())).toEqual({ action: "skip", reason: "state_not_allowed" });
    const paid = order({ state: "paid", updatedAt: "2026-03-04T09:00:00.000Z" });
    expect(decideIntake(paid, state({ reason: undefined } as never), ctx({ isUpdate: true }))).toEqual({ action: "transfer" });
  });

  it("R6: an update transfers an order that was skipped, failed or created before the start point", () => {
    const old = order({ createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-03-05T00:00:00.000Z" });
    expect(decideIntake(old, null, ctx({ isUpdate: true }))).toEqual({ action: "transfer" });
    expect(decideIntake(old, state({ status: "failed", orderUpdatedAt: "2026-03-04T00:00:00.000Z" }), ctx({ isUpdate: true }))).toEqual({ action: "transfer" });
    expect(decideIntake(old, state({ status: "skipped", orderUpdatedAt: "2026-01-01T00:00:00.000Z" }), ctx({ isUpdate: true }))).toEqual({ action: "transfer" });
  });

  it("a redelivery of the same version of a skipped or failed order changes nothing", () => {
    expect(decideIntake(order(), state({ status: "failed" }), ctx({ isUpdate: true }))).toEqual({ action: "ignore" });
  });

  it("R7: a transferred order is never transferred again by an update; a draft is updated in place when allowed", () => {
    const upd = order({ updatedAt: "2026-03-05T00:00:00.000Z" });
    const booked = state({ status: "transferred", documentType: "booked", documentNumber: "7" });
    const draft = state({ status: "transferred", documentType: "draft", documentNumber: "7" });
    expect(decideIntake(upd, booked, ctx({ isUpdate: true }))).toEqual({ action: "skip", reason: "already_transferred" });
    expect(decideIntake(upd, draft, ctx({ isUpdate: true }))).toEqual({ action: "update_draft" });
    expect(decideIntake(upd, draft, ctx({ isUpdate: true, allowDraftUpdates: false }))).toEqual({ action: "skip", reason: "already_transferred" });
    expect(decideIntake(order(), draft, ctx({ isUpdate: true }))).toEqual({ action: "skip", reason: "already_transferred" });
    // R19: an import never creates a second document.
    expect(decideIntake(upd, draft, ctx({ source: "import" }))).toEqual({ action: "skip", reason: "already_transferred" });
  });

  it("a pending order's transfer goes on (a message retried after a crash)", () => {
    expect(decideIntake(order(), state({ status: "pending" }), ctx())).toEqual({ action: "transfer" });
  });

  it("an import takes orders from before the start point", () => {
    const old = order({ createdAt: "2025-06-01T00:00:00.000Z", updatedAt: "2025-06-01T00:00:00.000Z" });
    expect(decideIntake(old, null, ctx({ source: "import" }))).toEqual({ action: "transfer" });
    expect(decideIntake(old, state({ status: "skipped", orderUpdatedAt: old.updatedAt }), ctx({ source: "import" }))).toEqual({ action: "transfer" });
  });
});
