/**
 * The Dinero accounting module (api.dinero.dk, Visma): an order becomes a draft invoice, booked when
 * documents are booked. Per session: a kept access token (auth.ts: no token call while it is valid) and
 * the organization's entry accounts (GET /v1/{org}/accounts/entry, kept in D1 for ACCOUNTS_TTL_MS), so
 * checking an order costs no call. Per order: the contact (remembered in the binding table, else
 * GET /contacts?queryFilter=Email eq '…', else POST /contacts), POST /invoices and, when booked,
 * POST /invoices/{guid}/book with the invoice's latest Timestamp (a stale one, error 58, is read again
 * and retried). So a known buyer's order costs one call, or two when booked.
 *
 * Our reference goes in `ExternalReference`; after an uncertain attempt it is looked up with
 * GET /invoices?queryFilter=ExternalReference eq '…' (confirmed exactly on our side), so a lost answer
 * never makes a second invoice. A draft keeps its Guid when Dinero books it, so a recorded draft is read
 * back (GET /invoices/{guid}) before anything is done with it: booked meanwhile means done.
 */
import { customerInfoError } from "../../domain/checks";
import { DocumentGone, TransferError, withDocument } from "../../domain/errors";
import type { CanonicalOrder, DocumentRef } from "../../domain/order";
import { vatTreatment } from "../../domain/vat";
import type { Bindings, CacheEntry } from "../../db/bindings";
import { sha256Hex } from "../../lib/crypto";
import { sharedBudget } from "../../lib/rate-limiter";
import type { AccountingAdapter, AccountingContext, AccountingSession, CreditNoteInput } from "../types";
import { completeCreditNote, creditedInvoice, findCreditNote, makeCreditNote, readCreditNote } from "./credit-note";
import { credentialOf, dineroApiUrl, DineroTokens, requestToken, type DineroEnv, type KeptToken } from "./auth";
import { DINERO_CODES, DineroClient, dineroCode, filterText, fixedToken } from "./client";
import { externalReference, invoiceBody, invoiceLines, type DineroInvoiceBody } from "./invoice";
import type { DineroSettings } from "./settings";

/**
 * Dinero allows 100 requests a minute per organization and client (developer.dinero.dk best practices):
 * a burst of 25 and 1.25 a second (25 + 60 × 1.25 = 100) keep any minute at or below 100 for every
 * sender of one organization together, while a queue batch of 25 known buyers goes out at once.
 */
export const DINERO_LIMITS = { capacity: 25, refillPerSecond: 1.25 };
/** How long the entry accounts read from Dinero serve later sessions. */
export const ACCOUNTS_TTL_MS = 10 * 60_000;
/** Tries of a book or update whose Timestamp went stale meanwhile (error 58). */
const TIMESTAMP_TRIES = 3;
const PAGE_SIZE = 100;
const MAX_PAGES = 10;

export interface DineroInvoice {
  Guid: string;
  Number?: number | null;
  Status?: "Draft" | "Booked" | string;
  TimeStamp?: string;
  ExternalReference?: string | null;
  ContactGuid?: string;
  DeletedAt?: string | null;
}
interface Collection<T> {
  Collection?: T[];
}
interface Created {
  Guid?: string;
  ContactGuid?: string;
  TimeStamp?: string;
  Number?: number | null;
}

/** The session's parts, for the module's other documents (credit notes). */
export function dineroSessionParts(ctx: AccountingContext) {
  const settings = ctx.settings as DineroSettings;
  const env = ctx.env as DineroEnv;
  return { settings, env };
}

export async function openDineroClient(ctx: AccountingContext): Promise<DineroClient> {
  const { settings, env } = dineroSessionParts(ctx);
  const credential = credentialOf(settings);
  // Kept per credential: a new API key or a new connection starts with a new token.
  const key = (await sha256Hex(credential.refreshToken ?? credential.apiKey)).slice(0, 16);
  const tokens = new DineroTokens(env, ctx.fetch, credential, ctx.store.cache<KeptToken>(`dinero.token:${key}`), `orderbridge:${ctx.tenantId}:${ctx.integrationId}:dinero-token`);
  return new DineroClient({
    baseUrl: dineroApiUrl(env),
    organizationId: settings.organizationId,
    tokens,
    fetch: ctx.fetch,
    beforeRequest: await sharedBudget(env, "dinero", settings.organizationId, "Dinero", DINERO_LIMITS),
  });
}

export const dineroAdapter: AccountingAdapter = {
  async open(ctx: AccountingContext) {
    const client = await openDineroClient(ctx);
    const { settings } = dineroSessionParts(ctx);
    const session = new DineroSession(
      client,
      settings,
      ctx.store.bindings("dinero.contact"),
      ctx.store.cache<number[]>(`dinero.accounts:${settings.organizationId}`),
      ctx.store.cache<ContactIndex>(`dinero.contacts:${settings.organizationId}`),
    );
    await session.load();
    return session;
  },
  /** An API key is checked the moment it is set: Dinero must give a token for it and know the organization. */
  async verifySettings(ctx, settings) {
    // A connection was checked by its own flow and takes precedence over a typed key.
    if (!settings.apiKey || settings.refreshToken) return {};
    const env = ctx.env as DineroEnv;
    const token = await requestToken(env, ctx.fetch, { apiKey: String(settings.apiKey) });
    const name = settings.organizationId ? await organizationName(env, ctx.fetch, token.accessToken, String(settings.organizationId)) : undefined;
    return name ? { organizationName: name } : {};
  },
};

/** The organizations a token reaches (GET /v1.1/organizations): id and name. */
export async function dineroOrganizations(env: DineroEnv, fetch: AccountingContext["fetch"], accessToken: string): Promise<{ id: string; name: string }[]> {
  const client = new DineroClient({ baseUrl: dineroApiUrl(env), organizationId: "", tokens: fixedToken(accessToken), fetch });
  const list = await client.request<unknown>("GET", "/v1.1/organizations", undefined, { fields: "Id,Name" });
  const items = (Array.isArray(list) ? list : ((list as Collection<unknown>)?.Collection ?? [])) as { Id?: number | string; id?: number | string; Name?: string; name?: string }[];
  return items.map((o) => ({ id: String(o.Id ?? o.id ?? ""), name: String(o.Name ?? o.name ?? "") })).filter((o) => o.id);
}

async function organizationName(env: DineroEnv, fetch: AccountingContext["fetch"], accessToken: string, organizationId: string) {
  let orgs: { id: string; name: string }[];
  try {
    orgs = await dineroOrganizations(env, fetch, accessToken);
  } catch (e) {
    // The key gave a token: a list Dinero will not show now (other than a refusal) does not refuse the key.
    if (e instanceof TransferError && e.category !== "accounting_auth_failed") return undefined;
    throw e;
  }
  const org = orgs.find((o) => o.id === organizationId);
  if (!org)
    throw new TransferError("accounting_auth_failed", `The API key does not give access to Dinero organization ${organizationId}${orgs.length ? ` (it reaches ${orgs.map((o) => `${o.name} ${o.id}`).join(", ")})` : ""}.`, {
      hint: "Tjek firma-id'et: det står i adressen, når du er logget ind i Dinero. / Check the organization id: it is in the address while you are signed in to Dinero.",
    });
  return org.name;
}

/**
 * The organization's contacts by email, kept between sessions and brought up to date with
 * `changesSince` (documented on the contacts list), so the new buyers of a batch cost one GET together
 * instead of one each. Only kept up to CONTACT_INDEX_MAX contacts; a larger book asks per email.
 */
export interface ContactIndex {
  syncedAt: string;
  emails: Record<string, string>;
}
export const CONTACT_INDEX_MAX = 20_000;
/** Re-read a day before the last sync: changesSince is read as a date by some API versions, and clocks differ. */
const SYNC_OVERLAP_MS = 24 * 3600_000;

export class DineroSession implements AccountingSession {
  /** The organization's entry account numbers; empty until read (nothing is then refused for it). */
  private accounts = new Set<number>();
  private accountsFresh = false;
  /** Email (trimmed, lower-cased) → ContactGuid, found in this session. */
  private contacts = new Map<string, string>();
  /** Emails the synced index has no contact for: created without asking Dinero again. */
  private absent = new Set<string>();
  /** Contacts being found or created right now (two orders of one buyer never create two). */
  private resolving = new Map<string, Promise<string>>();

  constructor(
    readonly client: DineroClient,
    readonly settings: DineroSettings,
    private readonly knownContacts?: Bindings,
    private readonly accountsCache?: CacheEntry<number[]>,
    private readonly contactIndex?: CacheEntry<ContactIndex>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Reads ahead for a batch: the buyers bound before come from the binding table in one statement; for
   * the others the contact index is brought up to date (one GET of what changed since the last sync), so
   * each new buyer then costs only its POST /contacts.
   */
  async prefetch(orders: CanonicalOrder[]) {
    const keys = [...new Set(orders.map((o) => o.customer.email?.trim().toLowerCase() ?? "").filter((k) => k && !this.contacts.has(k) && !this.absent.has(k)))];
    if (keys.length === 0) return;
    const bound = (await this.knownContacts?.getMany(keys)) ?? new Map<string, string>();
    for (const [k, guid] of bound) this.contacts.set(k, guid);
    const unbound = keys.filter((k) => !bound.has(k));
    if (unbound.length === 0) return;
    const index = await this.syncContacts();
    if (!index) return;
    for (const k of unbound) {
      const guid = index.emails[k];
      if (!guid) this.absent.add(k);
      else {
        this.contacts.set(k, guid);
        await this.knownContacts?.put(k, guid);
      }
    }
  }

  /** The kept contact index, brought up to date; null when the organization has too many contacts to keep. */
  private async syncContacts(): Promise<ContactIndex | null> {
    const kept = await this.contactIndex?.read().catch(() => undefined);
    const startedAt = new Date(this.now()).toISOString();
    const emails = { ...(kept?.data.emails ?? {}) };
    const since = kept ? new Date(Date.parse(kept.data.syncedAt) - SYNC_OVERLAP_MS).toISOString().slice(0, 10) : undefined;
    for (let page = 0; ; page++) {
      if (page * 1000 >= CONTACT_INDEX_MAX) return null;
      const r = await this.client.get<Collection<{ ContactGuid?: string; Email?: string | null; DeletedAt?: string | null }>>("/contacts", {
        fields: "ContactGuid,Email,DeletedAt",
        ...(since ? { changesSince: since } : {}),
        page,
        pageSize: 1000,
      });
      const items = r?.Collection ?? [];
      for (const c of items) {
        const k = c.Email?.trim().toLowerCase();
        if (!k || !c.ContactGuid) continue;
        if (c.DeletedAt) delete emails[k];
        // The first contact with an email stays the one used (as a lookup by email would find it).
        else emails[k] ??= c.ContactGuid;
      }
      if (items.length < 1000) break;
    }
    if (Object.keys(emails).length > CONTACT_INDEX_MAX) return null;
    const index = { syncedAt: startedAt, emails };
    await this.contactIndex?.write(index, startedAt).catch(() => undefined);
    return index;
  }

  async load() {
    const kept = await this.accountsCache?.read().catch(() => undefined);
    const age = kept ? this.now() - Date.parse(kept.loadedAt) : NaN;
    if (kept && age >= 0 && age < ACCOUNTS_TTL_MS) {
      this.accounts = new Set(kept.data);
      return;
    }
    await this.readAccounts();
  }

  private async readAccounts() {
    const r = await this.client.get<unknown>("/accounts/entry", { fields: "AccountNumber,Name" });
    const items = (Array.isArray(r) ? r : ((r as Collection<unknown>)?.Collection ?? [])) as { AccountNumber?: number; Number?: number }[];
    this.accounts = new Set(items.map((a) => Number(a.AccountNumber ?? a.Number)).filter(Number.isInteger));
    this.accountsFresh = true;
    await this.accountsCache?.write([...this.accounts], new Date(this.now()).toISOString()).catch(() => undefined);
  }

  calls() {
    return this.client.calls();
  }

  /**
   * The frequent errors that apply to Dinero (no products, so no product_missing or sku_missing):
   * customer_info_missing, vat_setup_missing (a VAT situation orderbridge cannot book, or its account
   * missing in Dinero's chart), totals_mismatch. Nothing is created.
   */
  async check(order: CanonicalOrder): Promise<TransferError | null> {
    const customer = customerInfoError(order);
    if (customer) return customer;
    const decision = vatTreatment(order);
    if (decision.error) return decision.error;
    const account = this.settings.accounts[decision.treatment];
    if (this.accounts.size > 0 && !this.accounts.has(account)) {
      // Read on kept data: the merchant may have created the account since. Read again before it counts.
      if (!this.accountsFresh) await this.readAccounts();
      if (this.accounts.size > 0 && !this.accounts.has(account))
        return new TransferError("vat_setup_missing", `The Dinero account ${account} set for ${treatmentText[decision.treatment]} does not exist in the organization's chart of accounts (kontoplan).`, {
          details: { account, treatment: decision.treatment },
          hint: `Opret konto ${account} i Dinero under Regnskab → Kontoplan, eller vælg en anden salgskonto for ${treatmentDa[decision.treatment]} i integrationen. / Create account ${account} in Dinero under Accounting → Chart of accounts, or choose another sales account for ${treatmentText[decision.treatment]} in the integration.`,
        });
    }
    const { totals } = invoiceLines(order, this.settings, decision.treatment);
    if (totals.error)
      return new TransferError("totals_mismatch", totals.error.message, {
        details: totals.error.details,
        hint: "Tjek momssatserne i butikken, eller tillad en øreafrunding under en grænse (roundingThreshold). / Check the VAT rates in the shop, or allow a rounding line under a threshold (roundingThreshold).",
      });
    return null;
  }

  async findDocument(reference: string): Promise<DocumentRef | null> {
    const hit = await this.invoiceByReference(reference);
    return hit ? documentOf(hit) : null;
  }

  /** The invoice carrying our reference, if Dinero has one (not deleted). */
  async invoiceByReference(reference: string): Promise<DineroInvoice | null> {
    return findByReference<DineroInvoice>(this.client, "/invoices", externalReference(reference));
  }

  async createDocument(order: CanonicalOrder, reference: string) {
    const body = await this.prepare(order, reference);
    const created = await this.client.post<Created>("/invoices", body);
    if (!created?.Guid) throw new TransferError("accounting_unavailable", "Dinero answered POST /invoices without the invoice's Guid.");
    const draft: DocumentRef = { type: "draft", number: created.Guid };
    if (this.settings.documentType !== "booked") return { document: draft, sent: body };
    return this.book(draft, created.TimeStamp, body);
  }

  /** R20: the credit note carrying our reference (Dinero's ExternalReference), if any. */
  async findCreditNote(reference: string): Promise<DocumentRef | null> {
    const hit = await findCreditNote(this, reference);
    return hit ? documentOf(hit) : null;
  }

  /** R20: a Dinero credit note for the invoice (CreditNoteFor), booked when documents are booked. */
  async createCreditNote(input: CreditNoteInput) {
    return makeCreditNote(this, input, await creditedInvoice(this, input.invoice, input.invoiceSent, input.invoiceReference));
  }

  /** A credit note left by an earlier attempt: booked when documents are booked, never twice. */
  async completeCreditNote(document: DocumentRef, _input: CreditNoteInput) {
    if (document.type === "booked") return { document, sent: undefined };
    return completeCreditNote(this, await orGone(document, () => readCreditNote(this, document.number)));
  }

  async completeDocument(document: DocumentRef, order: CanonicalOrder, reference: string) {
    if (document.type === "booked") return { document, sent: undefined };
    // Booked by an attempt whose answer was lost: it is done, never booked twice.
    const current = await this.read(document);
    if (current.Status === "Booked") return { document: documentOf(current), sent: undefined };
    const updated = await this.update(document, order, reference, current.TimeStamp);
    return this.settings.documentType === "booked" ? this.book(document, updated.timestamp, updated.sent) : { document, sent: updated.sent };
  }

  async updateDraft(document: DocumentRef, order: CanonicalOrder, reference: string) {
    if (document.type !== "draft") throw new TransferError("accounting_rejected", `Dinero invoice ${document.number} is booked; a booked invoice cannot be changed.`);
    const current = await this.read(document);
    // Booked meanwhile: not a draft any more (the core then finds the booked invoice by our reference).
    if (current.Status === "Booked") throw new DocumentGone(document, "Dinero");
    const updated = await this.update(document, order, reference, current.TimeStamp);
    return { document, sent: updated.sent };
  }

  /** The invoice behind a recorded draft (its Guid); DocumentGone when Dinero has it no more. */
  private async read(document: DocumentRef): Promise<DineroInvoice> {
    return orGone(document, () => this.client.get<DineroInvoice>(`/invoices/${encodeURIComponent(document.number)}`));
  }

  /** PUT /v1.2/{org}/invoices/{guid} (the versioned update; only drafts) with the latest Timestamp. */
  private async update(document: DocumentRef, order: CanonicalOrder, reference: string, timestamp: string | undefined) {
    const body = await this.prepare(order, reference);
    const path = `/invoices/${encodeURIComponent(document.number)}`;
    const answer = await withFreshTimestamp(timestamp, async () => (await this.read(document)).TimeStamp, (ts) => this.client.put<Created>(path, { ...body, Timestamp: ts }, "v1.2"));
    return { sent: body, timestamp: answer?.TimeStamp };
  }

  private async book(draft: DocumentRef, timestamp: string | undefined, body: unknown) {
    try {
      const guid = encodeURIComponent(draft.number);
      const booked = await bookWithTimestamp(this.client, `/invoices/${guid}`, timestamp);
      return { document: documentOf(booked), sent: body };
    } catch (e) {
      if (e instanceof TransferError) throw withDocument(e, draft, body, ` Draft ${draft.number} was created but not booked.`);
      throw e;
    }
  }

  private async prepare(order: CanonicalOrder, reference: string): Promise<DineroInvoiceBody> {
    const problem = await this.check(order);
    if (problem) throw problem;
    const treatment = vatTreatment(order).treatment!;
    const { lines } = invoiceLines(order, this.settings, treatment);
    const contactGuid = await this.contactFor(order);
    return invoiceBody({ order, settings: this.settings, contactGuid, reference, lines });
  }

  /** The contact with the order's email: remembered in the binding table, found in Dinero, or created; one at a time per email. */
  contactFor(order: CanonicalOrder): Promise<string> {
    const key = order.customer.email!.trim().toLowerCase();
    const inSession = this.contacts.get(key);
    if (inSession) return Promise.resolve(inSession);
    let pending = this.resolving.get(key);
    if (!pending) {
      pending = this.resolveContact(order, key).finally(() => this.resolving.delete(key));
      this.resolving.set(key, pending);
    }
    return pending;
  }

  private async resolveContact(order: CanonicalOrder, key: string): Promise<string> {
    const c = order.customer;
    const email = c.email!.trim();
    const known = await this.knownContacts?.get(key);
    if (known) {
      this.contacts.set(key, known);
      return known;
    }
    // Asked per email unless the synced index of this session knows there is none.
    const found = this.absent.has(key)
      ? undefined
      : await this.client.get<Collection<{ ContactGuid?: string; Email?: string | null; DeletedAt?: string | null }>>("/contacts", {
          queryFilter: `Email eq ${filterText(email)}`,
          fields: "ContactGuid,Email,Name",
          pageSize: PAGE_SIZE,
        });
    let guid = (found?.Collection ?? []).find((x) => x.Email?.trim().toLowerCase() === key && !x.DeletedAt)?.ContactGuid;
    if (!guid) {
      const company = c.company?.trim();
      const contact: Record<string, unknown> = {
        Name: (company || c.name?.trim() || email).slice(0, 255),
        CountryKey: c.countryCode!.trim().toUpperCase(),
        Email: email,
        IsPerson: !company && !c.vatNumber?.trim(),
      };
      if (company && c.name?.trim()) contact.AttPerson = c.name.trim();
      if (c.vatNumber?.trim()) contact.VatNumber = c.vatNumber.trim();
      if (c.address) contact.Street = c.address;
      if (c.zip) contact.ZipCode = c.zip;
      if (c.city) contact.City = c.city;
      const created = await this.client.post<Created>("/contacts", contact);
      guid = created?.ContactGuid ?? created?.Guid;
      if (!guid) throw new TransferError("accounting_unavailable", "Dinero answered POST /contacts without the contact's Guid.");
    }
    this.absent.delete(key);
    this.contacts.set(key, guid);
    await this.knownContacts?.put(key, guid);
    return guid;
  }
}

const treatmentText = { domestic: "orders with Danish VAT", eu: "EU orders without VAT", abroad: "orders outside the EU" } as const;
const treatmentDa = { domestic: "ordrer med dansk moms", eu: "EU-ordrer uden moms", abroad: "ordrer uden for EU" } as const;

/** The entity behind a recorded document; DocumentGone when Dinero has it no more (404, code 40, deleted). */
async function orGone(document: DocumentRef, read: () => Promise<DineroInvoice>): Promise<DineroInvoice> {
  try {
    const entity = await read();
    if (entity?.DeletedAt) throw new DocumentGone(document, "Dinero");
    return entity;
  } catch (e) {
    if (e instanceof TransferError && (e.details?.httpStatusCode === 404 || dineroCode(e) === DINERO_CODES.notFound)) throw new DocumentGone(document, "Dinero");
    throw e;
  }
}

/** A draft is known by its Guid, a booked invoice (or credit note) by its number (api.md "Document numbers"). */
export function documentOf(i: DineroInvoice): DocumentRef {
  return i.Status === "Booked" && i.Number !== null && i.Number !== undefined ? { type: "booked", number: String(i.Number) } : { type: "draft", number: i.Guid };
}

/**
 * The entity of `path` (invoices, sales/creditnotes) whose ExternalReference is exactly `reference`:
 * filtered by Dinero (`queryFilter`), and confirmed here, page by page, since the filter's matching
 * rules (case, whitespace) are not ours.
 */
export async function findByReference<T extends DineroInvoice>(client: DineroClient, path: string, reference: string): Promise<T | null> {
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await client.get<Collection<T>>(path, {
      queryFilter: `ExternalReference eq ${filterText(reference)}`,
      fields: "Guid,Number,Status,ExternalReference,TimeStamp,ContactGuid,DeletedAt",
      page,
      pageSize: PAGE_SIZE,
    });
    const items = r?.Collection ?? [];
    const hit = items.find((i) => i.ExternalReference === reference && !i.DeletedAt);
    if (hit) return hit;
    if (items.length < PAGE_SIZE) return null;
  }
  return null;
}

/**
 * Runs a step that takes the entity's latest Timestamp; when Dinero says it is outdated (error 58) the
 * entity is read again and the step tried with the new one, up to TIMESTAMP_TRIES times.
 */
export async function withFreshTimestamp<T>(timestamp: string | undefined, reread: () => Promise<string | undefined>, step: (timestamp: string | undefined) => Promise<T>): Promise<T> {
  let ts = timestamp ?? (await reread());
  for (let attempt = 1; ; attempt++) {
    try {
      return await step(ts);
    } catch (e) {
      if (dineroCode(e) !== DINERO_CODES.outdatedTimestamp || attempt >= TIMESTAMP_TRIES) throw e;
      ts = await reread();
    }
  }
}

/**
 * Books the entity at `path` (`/invoices/{guid}`, `/sales/creditnotes/{guid}`) with its latest Timestamp
 * and returns it as booked. Booked already (by an attempt whose answer was lost, seen when re-reading
 * after error 58) counts as done.
 */
export async function bookWithTimestamp(client: DineroClient, path: string, timestamp: string | undefined): Promise<DineroInvoice> {
  let booked: DineroInvoice | undefined;
  const reread = async () => {
    const current = await client.get<DineroInvoice>(path);
    if (current?.Status === "Booked") booked = current;
    return current?.TimeStamp;
  };
  const answer = await withFreshTimestamp(timestamp, reread, async (ts) => (booked ? booked : await client.post<Created>(`${path}/book`, { Timestamp: ts })));
  if (booked) return booked;
  if (answer?.Number !== undefined && answer.Number !== null && answer.Guid) return { Guid: answer.Guid, Number: answer.Number, Status: "Booked", TimeStamp: answer.TimeStamp };
  // The book answer carries no number: read it.
  const current = await client.get<DineroInvoice>(path);
  if (current?.Status !== "Booked") throw new TransferError("accounting_unavailable", `Dinero answered ${path}/book, but the document is not booked.`);
  return current;
}
