import { afterEach, beforeEach } from "vitest";
import { DINERO_LIMITS } from "../../../src/modules/dinero/adapter";
import { FakeDinero, type FakeDineroInvoice } from "../../fakes/dinero";
import { creditNoteSuite, type NoteView } from "./consumer-suite";

const saved = { ...DINERO_LIMITS };
// The suite measures credit notes, not waiting for Dinero's per-minute budget.
beforeEach(() => Object.assign(DINERO_LIMITS, { capacity: 100_000, refillPerSecond: 100_000 }));
afterEach(() => Object.assign(DINERO_LIMITS, saved));

creditNoteSuite(
  "Dinero",
  () => {
    const fake = new FakeDinero();
    fake.requestsPerMinute = Infinity;
    const find = (docs: FakeDineroInvoice[], d: { type: string; number: string }) => docs.find((i) => (d.type === "booked" ? String(i.Number) === d.number : i.Guid === d.number))!;
    const view = (n: FakeDineroInvoice): NoteView => ({
      // "SKU-1 – T-shirt" → SKU-1; "Shipping refunded" → Shipping.
      lines: n.ProductLines.map((l) => [l.Description.split(" ")[0], l.Quantity, l.BaseAmountValue]),
      credits: n.CreditNoteFor!,
      contact: n.ContactGuid,
      currency: n.Currency,
      booked: n.Status === "Booked",
      reference: n.ExternalReference ?? "",
    });
    return {
      module: "dinero",
      labels: { shipping: "Shipping", amount: "Amount" },
      start: () => ({ fetch: fake.fetch, settings: { organizationId: fake.organizationId, apiKey: fake.apiKey, accounts: { domestic: 1000, eu: 1100, abroad: 1050 } } }),
      invoice: (d) => {
        const i = find(fake.invoices, d);
        return { id: i.Guid, contact: i.ContactGuid, currency: i.Currency };
      },
      note: (d) => view(find(fake.creditNotes, d)),
      creditNotes: () => fake.creditNotes.map(view),
      loseCreditNoteAnswer: () => fake.loseAnswerOf.push({ method: "POST", path: `/v1/${fake.organizationId}/sales/creditnotes`, times: 1 }),
      loseInvoiceAnswer: () => fake.loseAnswerOf.push({ method: "POST", path: `/v1/${fake.organizationId}/invoices`, times: 1 }),
    };
  },
  7301,
);
