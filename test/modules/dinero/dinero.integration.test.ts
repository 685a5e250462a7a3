import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "../../../src/db/client";
import type { CanonicalOrder } from "../../../src/domain/order";
import { take, type Bucket } from "../../../src/domain/token-bucket";
import { setOutboundFetch } from "../../../src/lib/outbound";
import { DINERO_LIMITS, dineroAdapter, DineroSession } from "../../../src/modules/dinero/adapter";
import { createCreditNote } from "../../../src/modules/dinero/credit-note";
import { DineroTokens, exchangeDineroCode, type KeptToken } from "../../../src/modules/dinero/auth";
import { cacheEntry } from "../../../src/db/bindings";
import { dineroSettings } from "../../../src/modules/dinero/settings";
import { getModule, missingSettings } from "../../../src/modules/registry";
import type { AccountingSession } from "../../../src/modules/types";
import { FakeDinero } from "../../fakes/dinero";
import shopifyDk from "../../fixtures/shopify/own-dk-25-taxes-included-discount-shipping.json";
import { accountingContext, activate, call, createIntegration, createTenant, rejection, waitForOrder } from "../../helpers";
import { delivery, runBatch, soon, usage } from "../../transfers/transfer-helpers";
import { charge, line, order } from "../../order-factory";

let fake: FakeDinero;
let integrationId = "";
beforeEach(() => {
  fake = new FakeDinero();
  integrationId = `int-dinero-${crypto.randomUUID()}`;
});

const accounts = { domestic: 1000, eu: 1100, abroad: 1050 };
const reference = (o: CanonicalOrder) => `Order ${o.orderNumber} (id ${o.shopOrderId}) ob:${integrationId}`;

function openDinero(settings: Record<string, unknown> = {}, fetch: typeof globalThis.fetch = fake.fetch): Promise<AccountingSession> {
  return dineroAdapter.open(accountingContext({
    integrationId,
    tenantId: "tenant-dinero",
    settings: dineroSettings.parse({ organizationId: fake.organizationId, apiKey: fake.apiKey, accounts, ...settings }),
    env,
    db: getDb(env),
    fetch,
  }));
}

/** What the transfer core does on a retry: look our reference up, complete what exists, else create. */
async function transfer(session: AccountingSession, o: CanonicalOrder, retry: boolean) {
  const earlier = retry ? await session.findDocument(reference(o)) : null;
  return earlier ? session.completeDocument(earlier, o, reference(o)) : session.createDocument(o, reference(o));
}

describe("Dinero settings", () => {
  it("requires the organization, the accounts and a credential (named apiKey); a connection's refresh token is one", () => {
    const m = getModule("accounting", "dinero")!;
    expect(missingSettings(m, {}).sort()).toEqual(["accounts", "apiKey", "organizationId"]);
    expect(missingSettings(m, { organizationId: "1", accounts, refreshToken: "r" })).toEqual([]);
    expect(missingSettings(m, { organizationId: "1", accounts: { domestic: 1000 }, apiKey: "k" }).sort()).toEqual(["accounts.abroad", "accounts.eu"]);
    expect(dineroSettings.parse({ organizationId: 42, accounts, apiKey: "k" })).toMatchObject({
      organizationId: "42",
      documentType: "draft",
      allowDraftUpdates: true,
      paymentConditionDays: 0,
      creditRefunds: true,
    });
    expect(dineroSettings.safeParse({ organizationId: "12a", accounts, apiKey: "k" }).success).toBe(false);
  });
});

describe("Dinero: an order becomes an invoice", () => {
  it("creates the contact and a draft: lines with the SKU, net unit prices on the domestic account, shipping, Copenhagen date, currency, ExternalReference", async () => {
    const session = await openDinero({ paymentConditionDays: 8 });
    const o = order({ createdAt: "2025-06-30T22:30:00Z", lines: [line("SKU-1", 2, 10000, { description: "Blå krus" })] });
    const r = await session.createDocument(o, reference(o));
    expect(fake.invoices).toHaveLength(1);
    const inv = fake.invoices[0];
    expect(r.document).toEqual({ type: "draft", number: inv.Guid });
    expect(inv).toMatchObject({
      Status: "Draft",
      Date: "2025-07-01",
      Currency: "DKK",
      ShowLinesInclVat: false,
      ExternalReference: reference(o),
      PaymentConditionType: "Netto",
      PaymentConditionNumberOfDays: 8,
    });
    expect(inv.ProductLines).toEqual([
      expect.objectContaining({ Description: "SKU-1 – Blå krus", Quantity: 2, BaseAmountValue: 100, AccountNumber: 1000 }),
      expect.objectContaining({ Description: "Shipping", Quantity: 1, BaseAmountValue: 39, AccountNumber: 1000 }),
    ]);
    expect(fake.contacts).toHaveLength(1);
    expect(fake.contacts[0]).toMatchObject({ CountryKey: "DK", Street: "Testvej 1", ZipCode: "7000", City: "Fredericia", Email: o.customer.email, IsPerson: true });
    expect(inv.ContactGuid).toBe(fake.contacts[0].ContactGuid);
  });

  it("an EU order without VAT goes on accounts.eu, an order outside the EU on accounts.abroad; fees are lines", async () => {
    const session = await openDinero();
    const eu = order({ customer: { countryCode: "DE" }, lines: [line("SKU-1", 1, 10000, { vatRate: 0 })], shipping: [charge(3900, 0)], fees: [charge(500, 0, "Gebyr")] });
    await session.createDocument(eu, reference(eu));
    expect(fake.invoices[0].ProductLines.map((l) => [l.Description, l.AccountNumber])).toEqual([["SKU-1 – Product SKU-1", 1100], ["Shipping", 1100], ["Gebyr", 1100]]);
    const us = order({ customer: { countryCode: "US" }, lines: [line("SKU-1", 1, 10000, { vatRate: 0 })], shipping: [] });
    await session.createDocument(us, reference(us));
    expect(fake.invoices[1].ProductLines.map((l) => l.AccountNumber)).toEqual([1050]);
  });

  it("finds an existing contact by email (Dinero matches case-insensitively), and remembers it for the next order", async () => {
    fake.contacts.push({ ContactGuid: "contact-known", Name: "Known", CountryKey: "DK", Email: "Known@Example.com", DeletedAt: null });
    const session = await openDinero();
    const o = order({ customer: { email: "known@example.com" } });
    await session.createDocument(o, reference(o));
    expect(fake.invoices[0].ContactGuid).toBe("contact-known");
    const lookups = fake.calls("api", "GET", `/v1/${fake.organizationId}/contacts`);
    expect(lookups).toBe(1);
    const again = await openDinero();
    const o2 = order({ customer: { email: "known@example.com" } });
    await again.createDocument(o2, reference(o2));
    expect(fake.invoices[1].ContactGuid).toBe("contact-known");
    expect(fake.calls("api", "GET", `/v1/${fake.organizationId}/contacts`)).toBe(lookups);
    expect(fake.contacts).toHaveLength(1);
  });

  it("a batch's new buyers cost one GET together: the kept contact index is synced with changesSince, and a contact made in Dinero meanwhile is found", async () => {
    fake.contacts.push({ ContactGuid: "contact-old", Name: "Old", CountryKey: "DK", Email: "old@example.com", DeletedAt: null });
    const first = await openDinero();
    const batch = [order({ customer: { email: "old@example.com" } }), order(), order()];
    await first.prefetch!(batch);
    const lists = () => fake.log.filter((r) => r.method === "GET" && r.path === `/v1/${fake.organizationId}/contacts`);
    expect(lists()).toHaveLength(1);
    expect(lists()[0].query.get("changesSince")).toBeNull();
    for (const o of batch) await first.createDocument(o, reference(o));
    // No per-email look-up: the old buyer came from the index, the two new ones were created at once.
    expect(lists()).toHaveLength(1);
    expect(fake.invoices[0].ContactGuid).toBe("contact-old");
    expect(fake.contacts).toHaveLength(3);

    // Made in Dinero by the merchant after the sync: the next batch's sync (changes since) finds it.
    fake.contacts.push({ ContactGuid: "contact-new-in-dinero", Name: "New", CountryKey: "DK", Email: "new@example.com", UpdatedAt: new Date(fake.now).toISOString(), DeletedAt: null });
    const next = await openDinero();
    const o = order({ customer: { email: "new@example.com" } });
    await next.prefetch!([o, order({ customer: { email: batch[1].customer.email } })]);
    expect(lists()).toHaveLength(2);
    expect(lists()[1].query.get("changesSince")).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await next.createDocument(o, reference(o));
    expect(fake.invoices.at(-1)!.ContactGuid).toBe("contact-new-in-dinero");
    expect(fake.contacts).toHaveLength(4);
  });

  it("books the invoice when documents are booked: document.number is Dinero's invoice number; one call per order for a known buyer, two booked", async () => {
    const session = await openDinero({ documentType: "booked" });
    const o = order();
    const r = await session.createDocument(o, reference(o));
    expect(fake.invoices[0].Status).toBe("Booked");
    expect(r.document).toEqual({ type: "booked", number: String(fake.invoices[0].Number) });
    const before = session.calls();
    const o2 = order({ customer: { email: o.customer.email } });
    await session.createDocument(o2, reference(o2));
    expect(session.calls() - before).toBe(2);
    const drafts = await openDinero();
    const b2 = drafts.calls();
    const o3 = order({ customer: { email: o.customer.email } });
    await drafts.createDocument(o3, reference(o3));
    expect(drafts.calls() - b2).toBe(1);
  });

  it("in another currency: Currency is the document currency and amounts use its decimals (JPY)", async () => {
    const session = await openDinero();
    const o = order({ currency: "JPY", lines: [line("SKU-1", 1, 1224)], shipping: [] });
    await session.createDocument(o, reference(o));
    expect(fake.invoices[0]).toMatchObject({ Currency: "JPY", ProductLines: [expect.objectContaining({ BaseAmountValue: 1224 })] });
  });
});

describe("Dinero: the access token", () => {
  it("is fetched once and kept across sessions (the password grant with the operator's client and the API key), not per order", async () => {
    for (let i = 0; i < 3; i++) {
      const session = await openDinero();
      const o = order();
      await session.createDocument(o, reference(o));
    }
    expect(fake.invoices).toHaveLength(3);
    expect(fake.calls("auth")).toBe(1);
    const tokenRequest = fake.log.find((r) => r.host === "authz.dinero.fake")!;
    expect(tokenRequest.body).toMatchObject({ grant_type: "password", username: fake.apiKey, password: fake.apiKey, scope: "read write" });
    // The kept token is encrypted: D1 never holds it in clear text.
    const kept = await env.DB.prepare("SELECT data FROM accounting_cache WHERE integration_id = ? AND kind LIKE 'dinero.token:%'").bind(integrationId).first<{ data: string }>();
    expect(kept?.data).toBeTruthy();
    expect(kept!.data).not.toContain("access-");
  });

  it("a kept token Dinero refuses (revoked or run out) is renewed once, and the order goes on", async () => {
    const first = await openDinero();
    const o = order();
    await first.createDocument(o, reference(o));
    fake.expireTokens();
    const session = await openDinero();
    const o2 = order();
    await session.createDocument(o2, reference(o2));
    expect(fake.invoices).toHaveLength(2);
    expect(fake.calls("auth")).toBe(2);
  });

  it("a connection: two workers refreshing with the same one-time refresh token at once both get a token, and the connection stays good", async () => {
    const connected = await exchangeDineroCode(env, fake.fetch, fake.issueCode(), fake.redirectUri);
    const kept = cacheEntry<KeptToken>(getDb(env), integrationId, "dinero.token:race");
    const worker = () => new DineroTokens(env, fake.fetch, { refreshToken: connected.refreshToken! }, kept, `ctx:${integrationId}`);
    const [a, b] = await Promise.all([worker().accessToken(), worker().accessToken()]);
    expect(a).toBe(b);
    expect(fake.log.filter((r) => r.host === "connect.visma.fake" && (r.body as Record<string, string>).grant_type === "refresh_token")).toHaveLength(2);
    // The newest refresh token is kept and still works when Dinero refuses the access token later.
    fake.expireTokens();
    const later = worker();
    expect(await later.accessToken()).toBe(a);
    await later.expire();
    expect(await later.accessToken()).not.toBe(a);
  });

  it("a refused API key is accounting_auth_failed; an organization without Dinero Pro (403) is explained as such", async () => {
    const refused = await rejection(openDinero({ apiKey: "wrong-key" }));
    expect(refused.category).toBe("accounting_auth_failed");
    expect(refused.message).toContain("invalid_grant");
    fake.organizations[0].IsPro = false;
    const noPro = await rejection(openDinero());
    expect(noPro.category).toBe("accounting_auth_failed");
    expect(noPro.message).toContain("Dinero Pro");
    expect(noPro.message).toContain("code 48");
    expect(noPro.hint).toContain("Dinero Pro-abonnement");
    expect(fake.invoices).toHaveLength(0);
  });
});

describe("Dinero: exactly once under lost answers", () => {
  it("a lost answer of POST /invoices: the retry finds the draft by ExternalReference and creates nothing", async () => {
    const o = order();
    fake.loseAnswerOf.push({ method: "POST", path: `/v1/${fake.organizationId}/invoices`, times: 1 });
    const first = await openDinero();
    expect((await rejection(first.createDocument(o, reference(o)))).category).toBe("accounting_unavailable");
    expect(fake.invoices).toHaveLength(1);
    const r = await transfer(await openDinero(), o, true);
    expect(fake.invoices).toHaveLength(1);
    expect(r.document).toEqual({ type: "draft", number: fake.invoices[0].Guid });
  });

  it("a lost answer of the booking: the retry reads the invoice, finds it booked and books nothing twice", async () => {
    const o = order();
    fake.loseAnswerOf.push({ method: "POST", path: `/v1/${fake.organizationId}/invoices/`, times: 1 });
    const first = await openDinero({ documentType: "booked" });
    expect((await rejection(first.createDocument(o, reference(o)))).category).toBe("accounting_unavailable");
    expect(fake.invoices[0].Status).toBe("Booked");
    const r = await transfer(await openDinero({ documentType: "booked" }), o, true);
    expect(r.document).toEqual({ type: "booked", number: String(fake.invoices[0].Number) });
    expect(fake.invoices).toHaveLength(1);
    expect(fake.calls("api", "POST", `/v1/${fake.organizationId}/invoices/${fake.invoices[0].Guid}/book`)).toBe(1);
  });

  it("a booking refused after the draft exists carries the draft; completing it books that draft once", async () => {
    const o = order();
    let failBook = true;
    const f: typeof fetch = async (input, init) => {
      if (failBook && String(input instanceof Request ? input.url : input).endsWith("/book")) {
        failBook = false;
        fake.rateLimitNext = 1;
      }
      return fake.fetch(input, init);
    };
    const err = await rejection((await openDinero({ documentType: "booked" }, f)).createDocument(o, reference(o)));
    expect(err.category).toBe("accounting_unavailable");
    expect(err.retryAfterSeconds).toBe(7);
    const draft = err.details?.document as { type: "draft"; number: string };
    expect(draft).toEqual({ type: "draft", number: fake.invoices[0].Guid });
    const r = await (await openDinero({ documentType: "booked" })).completeDocument(draft, o, reference(o));
    expect(r.document).toEqual({ type: "booked", number: String(fake.invoices[0].Number) });
    expect(fake.invoices).toHaveLength(1);
  });

  it("a stale Timestamp (error 58) when booking: the invoice is read again and booked with its new Timestamp", async () => {
    const o = order();
    let touched = false;
    const f: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (!touched && url.endsWith("/book")) {
        touched = true;
        fake.touch(fake.invoices[0].Guid); // changed in Dinero meanwhile
      }
      return fake.fetch(input, init);
    };
    const r = await (await openDinero({ documentType: "booked" }, f)).createDocument(o, reference(o));
    expect(r.document).toEqual({ type: "booked", number: String(fake.invoices[0].Number) });
    expect(fake.calls("api", "POST", `/v1/${fake.organizationId}/invoices/${fake.invoices[0].Guid}/book`)).toBe(2);
    expect(fake.calls("api", "GET", `/v1/${fake.organizationId}/invoices/${fake.invoices[0].Guid}`)).toBe(1);
  });

  it("a draft update (R7) goes through PUT /v1.2 with the latest Timestamp (stale: read again); a booked invoice is refused", async () => {
    const session = await openDinero();
    const o = order();
    const r = await session.createDocument(o, reference(o));
    fake.touch(fake.invoices[0].Guid);
    const changed = { ...order({ lines: [line("SKU-1", 3, 10000)], shipping: [charge(3900)] }), shopOrderId: o.shopOrderId, orderNumber: o.orderNumber, customer: o.customer };
    await session.updateDraft(r.document, changed, reference(o));
    expect(fake.invoices).toHaveLength(1);
    expect(fake.invoices[0].ProductLines[0]).toMatchObject({ Quantity: 3, BaseAmountValue: 100 });
    expect(fake.calls("api", "PUT", `/v1.2/${fake.organizationId}/invoices/`)).toBe(1);
    expect(fake.calls("api", "PUT", `/v1/`)).toBe(0);
    const err = await rejection(session.updateDraft({ type: "booked", number: "1" }, changed, reference(o)));
    expect(err.category).toBe("accounting_rejected");
  });
});

describe("Dinero: the frequent errors before anything is created", () => {
  it("customer_info_missing, vat_setup_missing (a rate orderbridge cannot book; an account missing in Dinero's chart), totals_mismatch", async () => {
    const session = await openDinero();
    const cases: [CanonicalOrder, string][] = [
      [order({ customer: { email: null } }), "customer_info_missing"],
      [order({ customer: { countryCode: null } }), "customer_info_missing"],
      [order({ lines: [line("SKU-1", 1, 10000, { vatRate: 1900 })], shipping: [] }), "vat_setup_missing"],
      [order({ lines: [line(null, 1, 10000)] }), "ok"],
    ];
    for (const [o, category] of cases) {
      const problem = await session.check(o);
      expect(problem?.category ?? "ok").toBe(category);
    }
    const off = order();
    off.totals = { ...off.totals, gross: off.totals.gross + 7 };
    const totals = await rejection(session.createDocument(off, reference(off)));
    expect(totals.category).toBe("totals_mismatch");
    expect(totals.hint).toContain("øreafrunding");
    const missingAccount = await openDinero({ accounts: { ...accounts, abroad: 1234 } });
    const us = order({ customer: { countryCode: "US" }, lines: [line("SKU-1", 1, 10000, { vatRate: 0 })], shipping: [] });
    const vat = await rejection(missingAccount.createDocument(us, reference(us)));
    expect(vat.category).toBe("vat_setup_missing");
    expect(vat.message).toContain("1234");
    expect(vat.hint).toContain("Kontoplan");
    expect(vat.hint).toContain("Chart of accounts");
    expect(fake.invoices).toHaveLength(0);
    expect(fake.contacts).toHaveLength(0);
  });

  it("a totals difference within roundingThreshold becomes a rounding line on the VAT-free account", async () => {
    const session = await openDinero({ roundingThreshold: 10 });
    const o = order();
    o.totals = { ...o.totals, gross: o.totals.gross + 3 };
    await session.createDocument(o, reference(o));
    expect(fake.invoices[0].ProductLines.at(-1)).toMatchObject({ Quantity: 1, BaseAmountValue: 0.03, AccountNumber: 1050 });
  });

  it("Dinero's error body (code, message, validationErrors) is the message of accounting_rejected", async () => {
    const session = await openDinero();
    fake.accounts = fake.accounts.filter((a) => a.AccountNumber !== 1000); // removed after the session read the chart
    const o = order();
    const err = await rejection(session.createDocument(o, reference(o)));
    expect(err.category).toBe("accounting_rejected");
    expect(err.message).toContain("Validation failed [code 42]");
    expect(err.message).toContain("ProductLines[0].AccountNumber: Account 1000 does not exist");
  });
});

describe("Dinero: rate", () => {
  it("a 429 is accounting_unavailable with its Retry-After; the retry creates the invoice once", async () => {
    const o = order();
    const session = await openDinero();
    fake.rateLimitNext = 1;
    const err = await rejection(session.createDocument(o, reference(o)));
    expect(err.category).toBe("accounting_unavailable");
    expect(err.retryAfterSeconds).toBe(7);
    expect(fake.invoices).toHaveLength(0);
    await transfer(session, o, true);
    expect(fake.invoices).toHaveLength(1);
  });

  it("the shared limit keeps every minute at or below Dinero's 100 requests per organization", () => {
    let bucket: Bucket = { tokens: DINERO_LIMITS.capacity, at: 0 };
    const sent: number[] = [];
    // Senders that ask every 100 ms for two minutes and wait when told to.
    for (let now = 0; now < 120_000; now += 100) {
      const r = take(bucket, 1, now, DINERO_LIMITS, 0);
      bucket = r.bucket;
      if (r.granted) sent.push(now);
    }
    for (let start = 0; start <= 60_000; start += 1000) expect(sent.filter((t) => t >= start && t < start + 60_000).length).toBeLessThanOrEqual(100);
    expect(sent.length).toBeGreaterThan(150);
  });
});

describe("Dinero: credit notes", () => {
  it("a refund becomes a credit note for the booked invoice (CreditNoteFor, positive lines, booked), exactly once", async () => {
    const session = (await openDinero({ documentType: "booked" })) as DineroSession;
    const o = order();
    await session.createDocument(o, reference(o));
    const refund = {
      refundId: "r-1",
      shopOrderId: o.shopOrderId,
      createdAt: "2025-06-12T23:30:00Z",
      currency: "DKK",
      lines: [{ shopLineId: null, sku: "SKU-1", description: "Product SKU-1", quantity: 1, netAmount: 10000, vatAmount: 2500 }],
      shipping: { netAmount: 0, vatAmount: 0 },
      amountGross: 0,
      totals: { net: 10000, vat: 2500, gross: 12500 },
    };
    const input = { order: o, refund, invoiceReference: reference(o), reference: `Refund r-1 ${reference(o)}`, creditedBefore: 0 };
    const r = await createCreditNote(session, input);
    expect(fake.creditNotes).toHaveLength(1);
    const note = fake.creditNotes[0];
    expect(note).toMatchObject({ CreditNoteFor: fake.invoices[0].Guid, ContactGuid: fake.invoices[0].ContactGuid, Status: "Booked", Date: "2025-06-13", Currency: "DKK" });
    expect(note.ProductLines).toEqual([expect.objectContaining({ Quantity: 1, BaseAmountValue: 100, AccountNumber: 1000 })]);
    expect(r.document).toEqual({ type: "booked", number: String(note.Number) });
    const again = await createCreditNote(session, input);
    expect(again.document).toEqual(r.document);
    expect(fake.creditNotes).toHaveLength(1);
    const tooMuch = await rejection(createCreditNote(session, { ...input, reference: "Refund r-2", creditedBefore: o.totals.gross }));
    expect(tooMuch.category).toBe("totals_mismatch");
  });
});

describe("Dinero: the API key is checked when it is set", () => {
  afterEach(() => setOutboundFetch());
  const shop = { module: "sandbox", settings: {} };

  it("a good key is stored encrypted with the organization's name; a refused one is 422 accounting_auth_failed and nothing is stored", async () => {
    setOutboundFetch(fake.fetch);
    const t = await createTenant();
    const created = await call("POST", `/api/staff/tenants/${t.id}/integrations`, { shop, accounting: { module: "dinero", settings: { organizationId: fake.organizationId, apiKey: fake.apiKey, accounts } } });
    expect(created.status, created.text).toBe(201);
    const i = created.json as { id: string; accounting: { settings: Record<string, unknown> } };
    expect(i.accounting.settings).toMatchObject({ apiKey: "********", organizationName: "Testbutikken ApS", documentType: "draft" });
    expect(JSON.stringify(i)).not.toContain(fake.apiKey);
    const refused = await call("PATCH", `/api/staff/integrations/${i.id}`, { accounting: { settings: { apiKey: "wrong-key" } } });
    expect(refused.status).toBe(422);
    expect(refused.json.error.code).toBe("accounting_auth_failed");
    const activated = await call("POST", `/api/staff/integrations/${i.id}/activate`);
    expect(activated.status, activated.text).toBe(200);
    const incomplete = await call("POST", `/api/staff/tenants/${t.id}/integrations`, { shop, accounting: { module: "dinero", settings: { organizationId: fake.organizationId } } });
    const missing = await call("POST", `/api/staff/integrations/${incomplete.json.id}/activate`);
    expect(missing.status).toBe(422);
    expect(missing.json.error.details.missing.sort()).toEqual(["accounting.accounts", "accounting.apiKey"]);
  });
});

describe("Dinero through the real consumer", () => {
  afterEach(() => setOutboundFetch());
  let nextId = 97000;
  const shopifyOrder = () => ({ ...shopifyDk, id: nextId++, created_at: soon(), updated_at: soon() });

  async function dineroIntegration(settings: Record<string, unknown> = {}) {
    setOutboundFetch(fake.fetch);
    const t = await createTenant();
    const i = await createIntegration(t.id, {
      shop: { module: "shopify", settings: { shopDomain: "demo-shop.myshopify.com", accessToken: "shpat", webhookSecret: "shp-secret" } },
      accounting: { module: "dinero", settings: { organizationId: fake.organizationId, apiKey: fake.apiKey, accounts, ...settings } },
    });
    await activate(i.id);
    return { tenant: t, integration: i };
  }

  it("a Shopify order becomes one draft invoice, counted once; the same delivery again changes nothing", async () => {
    const { tenant, integration } = await dineroIntegration();
    const o = shopifyOrder();
    const msg = delivery(integration.id, o);
    expect((await runBatch([{ body: msg }])).explicitAcks).toHaveLength(1);
    const entry = await waitForOrder(integration.id, String(o.id));
    expect(entry.status, JSON.stringify(entry.error)).toBe("transferred");
    expect(entry.document).toEqual({ type: "draft", number: fake.invoices[0].Guid });
    expect(fake.invoices[0].ExternalReference).toContain(String(o.id));
    expect(fake.invoices[0].ProductLines.map((l) => l.Description)).toEqual(expect.arrayContaining([expect.stringContaining("MUG-01")]));
    await runBatch([{ body: msg, attempts: 2 }]);
    expect(fake.invoices).toHaveLength(1);
    expect((await usage(tenant.id)).transferredOrders).toBe(1);
  });

  it("booked, with the answer of POST /invoices lost: the retry finds the draft by its reference, books it once, counts once", async () => {
    const { tenant, integration } = await dineroIntegration({ documentType: "booked" });
    const o = shopifyOrder();
    const msg = delivery(integration.id, o);
    fake.loseAnswerOf.push({ method: "POST", path: `/v1/${fake.organizationId}/invoices`, times: 1 });
    expect((await runBatch([{ body: msg }])).retryMessages).toHaveLength(1);
    expect(fake.invoices).toHaveLength(1);
    expect(fake.invoices[0].Status).toBe("Draft");
    expect((await runBatch([{ body: msg, attempts: 2 }])).explicitAcks).toHaveLength(1);
    const entry = await waitForOrder(integration.id, String(o.id));
    expect(entry.status, JSON.stringify(entry.error)).toBe("transferred");
    expect(entry.document).toEqual({ type: "booked", number: String(fake.invoices[0].Number) });
    expect(fake.invoices).toHaveLength(1);
    expect((await usage(tenant.id)).transferredOrders).toBe(1);
  });

  it("an update of the order (R7) changes the draft in place (PUT /v1.2 with its Timestamp); nothing new is created or counted", async () => {
    const { tenant, integration } = await dineroIntegration();
    const o = shopifyOrder();
    await runBatch([{ body: delivery(integration.id, o) }]);
    expect((await waitForOrder(integration.id, String(o.id))).status).toBe("transferred");
    const updated = { ...o, note: "Leveres til nabo", updated_at: new Date(Date.now() + 5000).toISOString() };
    await runBatch([{ body: delivery(integration.id, updated, { isUpdate: true }) }]);
    const entry = await waitForOrder(integration.id, String(o.id), (e) => e.attempts.length >= 2);
    expect(entry.status).toBe("transferred");
    expect(fake.invoices).toHaveLength(1);
    expect(fake.calls("api", "PUT", `/v1.2/${fake.organizationId}/invoices/${fake.invoices[0].Guid}`)).toBe(1);
    expect((await usage(tenant.id)).transferredOrders).toBe(1);
  });

  it("an organization without Dinero Pro: the order fails with accounting_auth_failed, explained, and the connection needs reconnecting", async () => {
    const { integration } = await dineroIntegration();
    fake.organizations[0].IsPro = false;
    const o = shopifyOrder();
    await runBatch([{ body: delivery(integration.id, o) }]);
    const entry = await waitForOrder(integration.id, String(o.id));
    expect(entry.status).toBe("failed");
    expect(entry.error.category).toBe("accounting_auth_failed");
    expect(entry.error.message).toContain("Dinero Pro");
    expect((await call("GET", `/api/staff/integrations/${integration.id}`)).json.connection.accounting.status).toBe("needs_reconnect");
  });
});

describe("Dinero: calls per order (the bench's mix: batches of 25, one buyer in six new)", () => {
  const saved = { ...DINERO_LIMITS };
  // The measurement is of calls, not of waiting for Dinero's per-minute budget.
  beforeEach(() => Object.assign(DINERO_LIMITS, { capacity: 100_000, refillPerSecond: 100_000 }));
  afterEach(() => {
    Object.assign(DINERO_LIMITS, saved);
    setOutboundFetch();
  });

  for (const documentType of ["draft", "booked"] as const) {
    it(`${documentType}: at most ${documentType === "booked" ? "2.2" : "1.2"} calls per order`, async () => {
      setOutboundFetch(fake.fetch);
      fake.requestsPerMinute = Infinity;
      const t = await createTenant();
      const i = await createIntegration(t.id, {
        shop: { module: "shopify", settings: { shopDomain: "demo-shop.myshopify.com", accessToken: "shpat", webhookSecret: "shp-secret" } },
        accounting: { module: "dinero", settings: { organizationId: fake.organizationId, apiKey: fake.apiKey, accounts, documentType } },
      });
      await activate(i.id);
      // A few buyers the merchant already has in Dinero.
      for (let n = 0; n < 5; n++) fake.contacts.push({ ContactGuid: `known-${n}`, Name: `Known ${n}`, CountryKey: "DK", Email: `buyer${n}@example.dk`, DeletedAt: null });
      const before = fake.calls("api") + fake.calls("auth");
      const ORDERS = 150;
      for (let batch = 0; batch < ORDERS / 25; batch++) {
        const msgs = Array.from({ length: 25 }, (_, k) => {
          const id = 96000 + batch * 25 + k;
          return { body: delivery(i.id, { ...shopifyDk, id, name: `#${id}`, email: `buyer${id % 25}@example.dk`, created_at: soon(), updated_at: soon() }) };
        });
        const r = await runBatch(msgs);
        expect(r.explicitAcks).toHaveLength(25);
      }
      expect(fake.invoices).toHaveLength(ORDERS);
      expect(fake.invoices.filter((x) => x.Status === (documentType === "booked" ? "Booked" : "Draft"))).toHaveLength(ORDERS);
      // No duplicate contacts: the known five are used, the twenty new buyers are created once each.
      expect(fake.contacts).toHaveLength(25);
      expect(new Set(fake.invoices.filter((x) => x.ContactGuid.startsWith("known-")).map((x) => x.ContactGuid)).size).toBe(5);
      const perOrder = (fake.calls("api") + fake.calls("auth") - before) / ORDERS;
      console.log(`Dinero ${documentType}: ${perOrder.toFixed(3)} calls per order`);
      expect(perOrder).toBeLessThanOrEqual(documentType === "booked" ? 2.2 : 1.2);
    });
  }
});
