/**
 * The accounting contract: one suite run for every accounting module against its fake, through the
 * AccountingSession interface the transfer core uses. A new module proves itself by adding its system here.
 */
import { env } from "cloudflare:workers";
import { accountingModules } from "../../src/modules";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client";
import type { CanonicalOrder, DocumentRef } from "../../src/domain/order";
import type { CanonicalRefund } from "../../src/domain/refund";
import { BILLY_LIMITS, billyAdapter } from "../../src/modules/billy/adapter";
import { billySettings } from "../../src/modules/billy/settings";
import { DINERO_LIMITS, dineroAdapter } from "../../src/modules/dinero/adapter";
import { dineroSettings } from "../../src/modules/dinero/settings";
import { economicAdapter } from "../../src/modules/economic/adapter";
import { economicSettings } from "../../src/modules/economic/settings";
import { sandboxAccountingAdapter } from "../../src/modules/sandbox/accounting";
import type { AccountingAdapter, AccountingSession } from "../../src/modules/types";
import type { FetchFn } from "../../src/lib/outbound";
import { FakeBilly } from "../fakes/billy";
import { FakeDinero } from "../fakes/dinero";
import { FakeEconomic } from "../fakes/economic";
import { accountingContext, economicSettingsComplete, rejection } from "../helpers";
import { line, order } from "../order-factory";

type State = "draft" | "booked";
type Kind = "invoice" | "creditNote";

/** One accounting system and its fake, as the suite sees it. */
interface ContractSystem {
  adapter: AccountingAdapter;
  /** The module's settings parsed, with `documentType` and the rest of `over`. */
  settings(over: Record<string, unknown>): Record<string, unknown>;
  fetch: FetchFn;
  /** The next request that creates a document takes effect, then its answer is lost. Absent: the system has no network (the answer is dropped by the suite). */
  loseNextCreate?(): void;
  /** Invoices (not credit notes) the system holds. */
  invoices(): Promise<number>;
  creditNotes(): Promise<number>;
  /** How the system holds a document (an invoice, or a credit note), and how many lines it has. */
  held(document: DocumentRef, kind?: Kind): Promise<{ state: State; lines: number }>;
}

const economic = (): ContractSystem => {
  const fake = new FakeEconomic();
  const all = () => [...fake.drafts.values(), ...fake.booked.values()];
  return {
    adapter: economicAdapter,
    settings: (over) => economicSettings.parse({ ...economicSettingsComplete, ...over }),
    fetch: fake.fetch,
    loseNextCreate: () => fake.dropResponseAfterCreate(),
    invoices: async () => all().filter((i) => i.grossAmount >= 0).length,
    creditNotes: async () => fake.creditNotes().length,
    held: async (d) => {
      const inv = (d.type === "booked" ? fake.booked : fake.drafts).get(Number(d.number));
      if (!inv) throw new Error(`e-conomic has no ${d.type} ${d.number}`);
      return { state: d.type, lines: inv.lines.length };
    },
  };
};

const billy = (): ContractSystem => {
  const fake = new FakeBilly();
  fake.addProduct("SKU-2");
  const find = (d: DocumentRef) => fake.invoices.find((i) => (d.type === "booked" ? i.invoiceNo === d.number : i.id === d.number));
  return {
    adapter: billyAdapter,
    settings: (over) => billySettings.parse({ accessToken: fake.token, shippingProductNo: "SHIP", ...over }),
    fetch: fake.fetch,
    loseNextCreate: () => fake.loseAnswerOf.push({ method: "POST", path: "/v2/invoices", times: 1 }),
    invoices: async () => fake.invoices.filter((i) => i.type === "invoice").length,
    creditNotes: async () => fake.creditNotes().length,
    held: async (d) => {
      const inv = find(d);
      if (!inv) throw new Error(`Billy has no ${d.type} ${d.number}`);
      return { state: inv.state === "approved" ? "booked" : "draft", lines: inv.lines.length };
    },
  };
};

const dinero = (): ContractSystem => {
  const fake = new FakeDinero();
  fake.requestsPerMinute = Infinity;
  // Invoices and credit notes are numbered apart.
  const find = (d: DocumentRef, kind: Kind) => (kind === "invoice" ? fake.invoices : fake.creditNotes).find((i) => (d.type === "booked" ? String(i.Number) === d.number : i.Guid === d.number));
  return {
    adapter: dineroAdapter,
    settings: (over) => dineroSettings.parse({ organizationId: fake.organizationId, apiKey: fake.apiKey, accounts: { domestic: 1000, eu: 1100, abroad: 1050 }, ...over }),
    fetch: fake.fetch,
    loseNextCreate: () => fake.loseAnswerOf.push({ method: "POST", path: `/v1/${fake.organizationId}/invoices`, times: 1 }),
    invoices: async () => fake.invoices.length,
    creditNotes: async () => fake.creditNotes.length,
    held: async (d, kind = "invoice") => {
      const inv = find(d, kind);
      if (!inv) throw new Error(`Dinero has no ${d.type} ${d.number}`);
      return { state: inv.Status === "Booked" ? "booked" : "draft", lines: inv.ProductLines.length };
    },
  };
};

const sandbox = (): ContractSystem => {
  const rows = async () =>
    (await env.DB.prepare("SELECT number, type, body FROM sandbox_documents WHERE integration_id = ?").bind(current).all<{ number: number; type: State; body: string }>()).results.map((r) => ({
      ...r,
      body: JSON.parse(r.body) as { type?: string; lines: unknown[] },
    }));
  return {
    adapter: sandboxAccountingAdapter,
    settings: (over) => ({ documentType: "draft", allowDraftUpdates: true, ...over }),
    fetch: () => Promise.reject(new Error("the sandbox makes no requests")),
    invoices: async () => (await rows()).filter((r) => r.body.type !== "creditNote").length,
    creditNotes: async () => (await rows()).filter((r) => r.body.type === "creditNote").length,
    held: async (d) => {
      const row = (await rows()).find((r) => String(r.number) === d.number);
      if (!row) throw new Error(`the sandbox has no ${d.number}`);
      return { state: row.type, lines: row.body.lines.length };
    },
  };
};

let current = "";
const year = new Date().getUTCFullYear();
const contractOrder = (over: Parameters<typeof order>[0] = {}) => order({ createdAt: `${year}-03-15T10:00:00Z`, updatedAt: `${year}-03-15T10:00:00Z`, ...over });
const reference = (o: CanonicalOrder) => `Order ${o.orderNumber} (id ${o.shopOrderId}) ob:${current}`;
const oneTee = (o: CanonicalOrder): CanonicalRefund => ({
  refundId: "r-1",
  shopOrderId: o.shopOrderId,
  createdAt: `${year}-03-20T10:00:00Z`,
  currency: o.currency,
  lines: [{ shopLineId: null, sku: "SKU-1", description: "Product SKU-1", quantity: 1, netAmount: 10000, vatAmount: 2500 }],
  shipping: { netAmount: 0, vatAmount: 0 },
  amountGross: 0,
  totals: { net: 10000, vat: 2500, gross: 12500 },
});

const saved = { dinero: { ...DINERO_LIMITS }, billy: { ...BILLY_LIMITS } };
const unlimited = { capacity: 100_000, refillPerSecond: 100_000 };
/** The fake of each accounting module of the list, by module id: a module without one fails below. */
const systems: Record<string, () => ContractSystem> = { economic, billy, dinero, sandbox };

it("every accounting module of the list runs the contract", () => {
  expect(Object.keys(accountingModules).filter((id) => !systems[id])).toEqual([]);
  for (const [id, m] of Object.entries(accountingModules)) expect(systems[id]().adapter, id).toBe(m.behaviour);
});

for (const m of Object.values(accountingModules).filter((x) => systems[x.id])) {
  const make = systems[m.id];
  describe(`accounting contract: ${m.name}`, () => {
    let sys: ContractSystem;
    beforeEach(() => {
      current = `int-contract-${crypto.randomUUID()}`;
      sys = make();
      // The contract is about documents, not about waiting for the shared request budgets.
      Object.assign(DINERO_LIMITS, unlimited);
      Object.assign(BILLY_LIMITS, unlimited);
    });
    afterEach(() => {
      Object.assign(DINERO_LIMITS, saved.dinero);
      Object.assign(BILLY_LIMITS, saved.billy);
    });

    const open = (documentType: State = "draft", over: Record<string, unknown> = {}): Promise<AccountingSession> =>
      sys.adapter.open(accountingContext({ integrationId: current, tenantId: "tenant-contract", settings: sys.settings({ documentType, ...over }), env, db: getDb(env), fetch: sys.fetch }));

    it("creates a draft, found again by our reference", async () => {
      const session = await open();
      const o = contractOrder();
      expect(await session.check(o)).toBeNull();
      const { document } = await session.createDocument(o, reference(o));
      expect(document.type).toBe("draft");
      expect(await sys.held(document)).toEqual({ state: "draft", lines: 2 });
      expect(await session.findDocument(reference(o))).toEqual(document);
      expect(await session.findDocument(`${reference(o)}-other`)).toBeNull();
      expect(await sys.invoices()).toBe(1);
    });

    it("the frequent errors are found before anything is made, and creating refuses them the same way", async () => {
      const session = await open("booked");
      const cases: [CanonicalOrder, string][] = [
        [contractOrder({ customer: { email: null } }), "customer_info_missing"],
        [contractOrder({ customer: { countryCode: null } }), "customer_info_missing"],
        [contractOrder({ lines: [line("SKU-1", 2, 10000, { vatRate: 1200 })], shipping: [] }), "vat_setup_missing"],
        [contractOrder({ lines: [line("SKU-1", 2, 10000, { vatRate: 0 })], shipping: [] }), "vat_setup_missing"],
      ];
      for (const [o, category] of cases) {
        expect((await session.check(o))?.category, category).toBe(category);
        expect((await rejection(session.createDocument(o, reference(o)))).category).toBe(category);
      }
      expect(await sys.invoices()).toBe(0);
    });

    it("totals: an order whose lines miss its total by more than the rounding allows is totals_mismatch and never booked", async () => {
      const session = await open("booked");
      const o = contractOrder();
      const off = { ...o, totals: { ...o.totals, gross: o.totals.gross + 500 } };
      const refused = (await session.check(off)) ?? (await rejection(session.createDocument(off, reference(off))));
      expect(refused.category).toBe("totals_mismatch");
      const left = await session.findDocument(reference(off));
      if (left) expect((await sys.held(left)).state).toBe("draft");
    });

    it("books it when documents are booked", async () => {
      const session = await open("booked");
      const o = contractOrder();
      const { document } = await session.createDocument(o, reference(o));
      expect(document.type).toBe("booked");
      expect((await sys.held(document)).state).toBe("booked");
      expect(await sys.invoices()).toBe(1);
    });

    it("a lost answer: the document is found by our reference and completed once, never made twice", async () => {
      const session = await open("booked");
      const o = contractOrder();
      if (sys.loseNextCreate) {
        sys.loseNextCreate();
        expect((await rejection(session.createDocument(o, reference(o)))).category).toBe("accounting_unavailable");
      } else await session.createDocument(o, reference(o));
      const found = await session.findDocument(reference(o));
      expect(found).not.toBeNull();
      const { document } = await session.completeDocument(found!, o, reference(o));
      expect(document.type).toBe("booked");
      expect((await sys.held(document)).state).toBe("booked");
      // Completed again (another retry): nothing new.
      expect((await session.completeDocument(document, o, reference(o))).document).toEqual(document);
      expect(await sys.invoices()).toBe(1);
    });

    it("completeDocument of a draft left by an earlier attempt brings it up to date and books it", async () => {
      const o = contractOrder();
      const left = (await (await open("draft")).createDocument(o, reference(o))).document;
      const changed = { ...o, lines: [...o.lines, line("SKU-2", 1, 5000)] };
      changed.totals = { net: o.totals.net + 5000, vat: o.totals.vat + 1250, gross: o.totals.gross + 6250 };
      const { document } = await (await open("booked")).completeDocument(left, changed, reference(o));
      expect(document.type).toBe("booked");
      expect(await sys.held(document)).toEqual({ state: "booked", lines: 3 });
      expect(await sys.invoices()).toBe(1);
    });

    it("updateDraft changes the draft in place (R7)", async () => {
      const session = await open();
      const o = contractOrder();
      const { document } = await session.createDocument(o, reference(o));
      const changed = { ...o, lines: [...o.lines, line("SKU-2", 2, 5000)] };
      changed.totals = { net: o.totals.net + 10000, vat: o.totals.vat + 2500, gross: o.totals.gross + 12500 };
      const updated = await session.updateDraft(document, changed, reference(o));
      expect(updated.document).toEqual(document);
      expect(await sys.held(document)).toEqual({ state: "draft", lines: 3 });
      expect(await sys.invoices()).toBe(1);
    });

    it("a credit note for the booked invoice: made once, found by its reference; more than is left to credit is totals_mismatch", async () => {
      const session = await open("booked");
      const o = contractOrder();
      const invoice = await session.createDocument(o, reference(o));
      const input = { order: o, invoice: invoice.document, invoiceSent: invoice.sent, refund: oneTee(o), creditedBefore: 0, reference: `Refund r-1 ${reference(o)}` };
      const note = await session.createCreditNote!(input);
      expect(note.document.type).toBe("booked");
      expect(await sys.held(note.document, "creditNote")).toEqual({ state: "booked", lines: 1 });
      expect(await session.findCreditNote!(input.reference)).toEqual(note.document);
      expect((await session.completeCreditNote!(note.document, input)).document).toEqual(note.document);
      const tooMuch = await rejection(session.createCreditNote!({ ...input, reference: `Refund r-2 ${reference(o)}`, creditedBefore: o.totals.gross }));
      expect(tooMuch.category).toBe("totals_mismatch");
      expect(await sys.creditNotes()).toBe(1);
      expect(await sys.invoices()).toBe(1);
    });
  });
}
