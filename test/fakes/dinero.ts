/**
 * A fake Dinero (api.dinero.dk/docs, developer.dinero.dk, reference-wave2 §1): the personal-integration
 * token (authz: basic auth with the operator's client, password grant with the API key), Visma Connect
 * (code exchange, one-time refresh tokens), bearer tokens that run out after `expires_in`, organizations
 * without Dinero Pro (403, code 48), entry accounts, contacts and invoices with `queryFilter`
 * (`Field eq 'value'`, case-insensitive as Dinero matches), optimistic concurrency on every write
 * (`Timestamp`, error 58 when outdated), the versioned draft update (PUT /v1.2; the retired v1 answers
 * 480), booking, credit notes, 100 requests a minute per organization (429 "API calls quota exceeded!"),
 * and errors in Dinero's body ({code, message, validationErrors}).
 */
export const DINERO_CLIENT = { id: "isv_test-dinero-client", secret: "test-dinero-client-secret" };

export interface FakeDineroLine {
  Description: string;
  Quantity: number;
  AccountNumber: number;
  BaseAmountValue: number;
  Discount?: number;
  Unit?: string;
  LineType?: string;
}

export interface FakeDineroInvoice {
  Guid: string;
  Number: number | null;
  Status: "Draft" | "Booked";
  TimeStamp: string;
  ContactGuid: string;
  Date: string;
  Currency: string;
  Language?: string;
  ExternalReference: string | null;
  Description?: string;
  PaymentConditionType?: string;
  PaymentConditionNumberOfDays?: number;
  ShowLinesInclVat?: boolean;
  ProductLines: FakeDineroLine[];
  CreditNoteFor?: string;
  DeletedAt: string | null;
}

export interface FakeDineroContact {
  ContactGuid: string;
  Name: string;
  CountryKey: string;
  Email?: string | null;
  Street?: string;
  ZipCode?: string;
  City?: string;
  IsPerson?: boolean;
  VatNumber?: string;
  AttPerson?: string;
  ExternalReference?: string | null;
  /** ISO; set when the fake creates or changes a contact (one pushed by a test without it is old). */
  UpdatedAt?: string;
  DeletedAt: string | null;
}

interface Grant {
  organizationIds: string[];
  expiresAt: number;
}

export class FakeDinero {
  readonly apiKey = "dinero-api-key-1";
  /** A new organization per fake, so tests never share one organization's request budget. */
  readonly organizationId = String(100_000 + Math.floor(Math.random() * 899_999_999));
  organizations: { Id: number; Name: string; IsPro: boolean }[] = [{ Id: Number(this.organizationId), Name: "Testbutikken ApS", IsPro: true }];
  /** The organization's chart: 1000 sales with VAT, 1050 without, 1100 EU sales (Dinero's default chart). */
  accounts: { AccountNumber: number; Name: string }[] = [
    { AccountNumber: 1000, Name: "Salg af varer/ydelser m/moms" },
    { AccountNumber: 1050, Name: "Salg af varer/ydelser u/moms" },
    { AccountNumber: 1100, Name: "Salg af varer til udlandet, EU" },
  ];
  contacts: FakeDineroContact[] = [];
  invoices: FakeDineroInvoice[] = [];
  creditNotes: FakeDineroInvoice[] = [];
  log: { host: string; method: string; path: string; query: URLSearchParams; body?: unknown; auth?: string | null }[] = [];
  /** Requests of this method + path prefix whose answer is lost after Dinero did the work. */
  loseAnswerOf: { method: string; path: string; times: number }[] = [];
  /** 429 for the next N API requests. */
  rateLimitNext = 0;
  /** Dinero's quota per organization (developer.dinero.dk best practices). */
  requestsPerMinute = 100;
  /** Added to the real clock: tokens run out by it, the per-minute quota counts by it (tests move it on). */
  clockOffsetMs = 0;
  get now() {
    return Date.now() + this.clockOffsetMs;
  }
  /** Visma Connect: codes issued by the authorize step (code → the redirect_uri it was issued for). */
  codes = new Map<string, string>();
  readonly redirectUri = "https://orderbridge.test/connect/dinero/callback";
  private refreshTokens = new Map<string, string[]>();
  private grants = new Map<string, Grant>();
  private perMinute = new Map<string, number[]>();
  private seq = 0;

  calls(host?: "api" | "auth" | "connect", method?: string, pathPrefix?: string) {
    const hosts = { api: "dinero.fake", auth: "authz.dinero.fake", connect: "connect.visma.fake" };
    return this.log.filter((r) => (!host || r.host === hosts[host]) && (!method || r.method === method) && (!pathPrefix || r.path.startsWith(pathPrefix))).length;
  }

  /** Visma Connect's authorize step as the merchant completes it: a code for our redirect URI. */
  issueCode(redirectUri = this.redirectUri) {
    const code = `code-${++this.seq}`;
    this.codes.set(code, redirectUri);
    return code;
  }

  /** Someone changes the invoice in Dinero: its TimeStamp moves on, so ours is outdated (error 58). */
  touch(guid: string) {
    const doc = [...this.invoices, ...this.creditNotes].find((i) => i.Guid === guid)!;
    doc.TimeStamp = this.timestamp();
  }

  /** Every access token runs out (as after an hour). */
  expireTokens() {
    for (const g of this.grants.values()) g.expiresAt = 0;
  }

  readonly fetch = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const text = req.method === "GET" ? "" : new TextDecoder().decode(await req.arrayBuffer());
    const form = (req.headers.get("Content-Type") ?? "").includes("x-www-form-urlencoded") ? new URLSearchParams(text) : null;
    let body: unknown = undefined;
    if (!form && text) {
      try {
        body = JSON.parse(text);
      } catch {
        return dineroError(400, 42, "The request body is not valid JSON.");
      }
    }
    this.log.push({ host: url.host, method: req.method, path: url.pathname, query: url.searchParams, body: form ? Object.fromEntries(form) : body, auth: req.headers.get("Authorization") });
    let res: Response;
    if (url.host === "authz.dinero.fake") res = this.personalToken(req, url, form);
    else if (url.host === "connect.visma.fake") res = this.vismaToken(url, form);
    else res = this.api(req, url, body as Record<string, unknown> | undefined);
    const lost = this.loseAnswerOf.find((l) => l.times > 0 && l.method === req.method && url.pathname.startsWith(l.path));
    if (lost && res.status < 300) {
      lost.times--;
      throw new TypeError("Network connection lost.");
    }
    return res;
  };

  private issue(organizationIds: string[]) {
    const token = `access-${++this.seq}`;
    this.grants.set(token, { organizationIds, expiresAt: this.now + 3600_000 });
    return token;
  }

  private personalToken(req: Request, url: URL, form: URLSearchParams | null): Response {
    if (req.method !== "POST" || url.pathname !== "/dineroapi/oauth/token") return json({ error: "not_found" }, 404);
    if (req.headers.get("Authorization") !== `Basic ${btoa(`${DINERO_CLIENT.id}:${DINERO_CLIENT.secret}`)}`) return json({ error: "invalid_client" }, 401);
    if (!form || form.get("grant_type") !== "password" || form.get("scope") !== "read write") return json({ error: "unsupported_grant_type" }, 400);
    if (form.get("username") !== this.apiKey || form.get("password") !== this.apiKey) return json({ error: "invalid_grant", error_description: "The API key is not valid." }, 400);
    return json({ access_token: this.issue([this.organizationId]), token_type: "Bearer", expires_in: 3600 });
  }

  private vismaToken(url: URL, form: URLSearchParams | null): Response {
    if (url.pathname !== "/connect/token" || !form) return json({ error: "invalid_request" }, 400);
    if (form.get("client_id") !== DINERO_CLIENT.id || form.get("client_secret") !== DINERO_CLIENT.secret) return json({ error: "invalid_client" }, 401);
    const grant = form.get("grant_type");
    let orgs: string[];
    if (grant === "authorization_code") {
      const code = form.get("code") ?? "";
      if (this.codes.get(code) !== form.get("redirect_uri")) return json({ error: "invalid_grant", error_description: "Unknown code or redirect_uri." }, 400);
      this.codes.delete(code); // single use
      orgs = this.organizations.map((o) => String(o.Id));
    } else if (grant === "refresh_token") {
      const old = form.get("refresh_token") ?? "";
      const found = this.refreshTokens.get(old);
      if (!found) return json({ error: "invalid_grant", error_description: "The refresh token is invalid or was used." }, 400);
      this.refreshTokens.delete(old); // one-time use: a new one comes with the answer
      orgs = found;
    } else return json({ error: "unsupported_grant_type" }, 400);
    const refresh = `refresh-${++this.seq}`;
    this.refreshTokens.set(refresh, orgs);
    return json({ access_token: this.issue(orgs), token_type: "Bearer", expires_in: 3600, refresh_token: refresh, scope: "dineropublicapi:read dineropublicapi:write offline_access" });
  }

  /** Whether the refresh token still works (a used one does not). */
  refreshTokenValid(token: string) {
    return this.refreshTokens.has(token);
  }

  private api(req: Request, url: URL, body: Record<string, unknown> | undefined): Response {
    const auth = req.headers.get("Authorization") ?? "";
    const grant = this.grants.get(auth.replace(/^Bearer /, ""));
    if (!auth.startsWith("Bearer ") || !grant || grant.expiresAt <= this.now) return dineroError(401, 41, "Authorization has been denied for this request.");
    const p = url.pathname;
    if (req.method === "GET" && p === "/v1.1/organizations") return json(this.organizations.filter((o) => grant.organizationIds.includes(String(o.Id))));
    const m = p.match(/^\/(v1(?:\.1|\.2)?)\/(\d+)(\/.*)$/);
    if (!m) return dineroError(404, 40, `No route ${req.method} ${p}`);
    const [, version, org, rest] = m;
    if (!grant.organizationIds.includes(org)) return dineroError(403, 41, "You do not have access to this organization.");
    if (!this.organizations.find((o) => String(o.Id) === org)?.IsPro) return dineroError(403, 48, "The organization does not have an active Dinero Pro subscription.");
    if (this.rateLimitNext > 0 || this.overQuota(org)) {
      if (this.rateLimitNext > 0) this.rateLimitNext--;
      return new Response("API calls quota exceeded!", { status: 429, headers: { "Retry-After": "7", "Content-Type": "text/plain" } });
    }
    return this.route(req.method, version, rest, url.searchParams, body ?? {});
  }

  /** `requestsPerMinute` in any minute of the fake's clock per organization. */
  private overQuota(org: string) {
    const recent = (this.perMinute.get(org) ?? []).filter((t) => t > this.now - 60_000);
    if (recent.length >= this.requestsPerMinute) return true;
    recent.push(this.now);
    this.perMinute.set(org, recent);
    return false;
  }

  private route(method: string, version: string, p: string, q: URLSearchParams, b: Record<string, unknown>): Response {
    if (method === "GET" && p === "/accounts/entry") return json(this.accounts);
    if (p === "/contacts" && method === "GET") return this.list(this.contacts, q, ["Email", "ExternalReference", "Name", "VatNumber"]);
    if (p === "/contacts" && method === "POST") {
      const errors: Record<string, string> = {};
      if (!b.Name) errors.Name = "Name is required";
      if (typeof b.CountryKey !== "string" || !/^[A-Z]{2}$/.test(b.CountryKey)) errors.CountryKey = "CountryKey must be an ISO 3166 alpha-2 code";
      if (Object.keys(errors).length) return dineroError(400, 42, "Validation failed", errors);
      const contact: FakeDineroContact = { ...(b as Partial<FakeDineroContact>), ContactGuid: this.guid(), Name: String(b.Name), CountryKey: String(b.CountryKey), UpdatedAt: new Date(this.now).toISOString(), DeletedAt: null };
      this.contacts.push(contact);
      return json({ ContactGuid: contact.ContactGuid });
    }
    const docs = p.startsWith("/sales/creditnotes") ? this.creditNotes : p.startsWith("/invoices") ? this.invoices : null;
    if (!docs) return dineroError(404, 40, `No route ${method} ${p}`);
    const base = docs === this.creditNotes ? "/sales/creditnotes" : "/invoices";
    const rest = p.slice(base.length);
    if (rest === "" && method === "GET") return this.list(docs, q, ["ExternalReference"]);
    if (rest === "" && method === "POST") {
      if (version !== "v1") return dineroError(404, 40, `No route ${method} /${version}${p}`);
      const bad = this.badDocument(b, docs === this.creditNotes);
      if (bad) return bad;
      const doc: FakeDineroInvoice = {
        ...(b as unknown as FakeDineroInvoice),
        Guid: this.guid(),
        Number: null,
        Status: "Draft",
        TimeStamp: this.timestamp(),
        ExternalReference: (b.ExternalReference as string) ?? null,
        DeletedAt: null,
      };
      docs.push(doc);
      return json({ Guid: doc.Guid, TimeStamp: doc.TimeStamp });
    }
    const one = rest.match(/^\/([^/]+)(\/book)?$/);
    if (!one) return dineroError(404, 40, `No route ${method} ${p}`);
    const doc = docs.find((d) => d.Guid === decodeURIComponent(one[1]) && !d.DeletedAt);
    if (!doc) return dineroError(404, 40, "The entity was not found.");
    if (!one[2] && method === "GET") return json(doc);
    if (!one[2] && method === "PUT") {
      // Update v1/v1.1 were retired (August 2021): Dinero switches them off with a brownout.
      if (version !== "v1.2") return new Response("Brownout: this endpoint is deprecated", { status: 480 });
      if (doc.Status !== "Draft") return dineroError(400, 42, "Only drafts can be updated.");
      if (b.Timestamp !== doc.TimeStamp) return dineroError(400, 58, "The timestamp is outdated. Get the entity again and retry.");
      const bad = this.badDocument(b, docs === this.creditNotes);
      if (bad) return bad;
      const { Timestamp: _t, ...fields } = b;
      Object.assign(doc, fields, { TimeStamp: this.timestamp() });
      return json({ Guid: doc.Guid, TimeStamp: doc.TimeStamp });
    }
    if (one[2] && method === "POST") {
      if (doc.Status === "Booked") return dineroError(400, 42, "The entity is already booked.");
      if (b.Timestamp !== doc.TimeStamp) return dineroError(400, 58, "The timestamp is outdated. Get the entity again and retry.");
      doc.Status = "Booked";
      doc.Number = docs.filter((d) => d.Number !== null).length + 1;
      doc.TimeStamp = this.timestamp();
      return json({ Guid: doc.Guid, Number: doc.Number, TimeStamp: doc.TimeStamp });
    }
    return dineroError(404, 40, `No route ${method} ${p}`);
  }

  private badDocument(b: Record<string, unknown>, creditNote: boolean): Response | null {
    const errors: Record<string, string> = {};
    if (!this.contacts.some((c) => c.ContactGuid === b.ContactGuid && !c.DeletedAt)) errors.ContactGuid = "The contact does not exist";
    if (!/^\d{4}-\d{2}-\d{2}$/.test(String(b.Date ?? ""))) errors.Date = "Date must be YYYY-MM-DD";
    if (b.Currency !== undefined && !/^[A-Z]{3}$/.test(String(b.Currency))) errors.Currency = "Unknown currency";
    if (typeof b.ExternalReference === "string" && b.ExternalReference.length > 128) errors.ExternalReference = "ExternalReference can be at most 128 characters";
    if (creditNote) {
      const credited = this.invoices.find((i) => i.Guid === b.CreditNoteFor && !i.DeletedAt);
      if (!credited) errors.CreditNoteFor = "The invoice to credit does not exist";
      else if (credited.ContactGuid !== b.ContactGuid || credited.Currency !== (b.Currency ?? "DKK")) errors.CreditNoteFor = "A credit note has the contact and currency of the invoice it credits";
    }
    const lines = b.ProductLines;
    if (!Array.isArray(lines) || lines.length === 0) errors.ProductLines = "At least one product line is required";
    else
      (lines as FakeDineroLine[]).forEach((l, i) => {
        if (!l.Description) errors[`ProductLines[${i}].Description`] = "Description is required";
        if (typeof l.Quantity !== "number") errors[`ProductLines[${i}].Quantity`] = "Quantity is required";
        if (typeof l.BaseAmountValue !== "number") errors[`ProductLines[${i}].BaseAmountValue`] = "BaseAmountValue is required";
        else if (creditNote && (!(l.Quantity > 0) || l.BaseAmountValue < 0)) errors[`ProductLines[${i}].Quantity`] = "A credit note's lines are positive";
        if (!this.accounts.some((a) => a.AccountNumber === l.AccountNumber)) errors[`ProductLines[${i}].AccountNumber`] = `Account ${l.AccountNumber} does not exist`;
      });
    return Object.keys(errors).length ? dineroError(400, 42, "Validation failed", errors) : null;
  }

  /**
   * A list with `queryFilter` (`Field eq 'value'`, case-insensitive), `changesSince` (a date or a time:
   * what was changed since, by UpdatedAt), `fields`, `page` (from 0) and `pageSize` (≤ 1000).
   */
  private list<T extends object>(items: T[], q: URLSearchParams, filterable: string[]): Response {
    let out = items.filter((i) => !(i as { DeletedAt?: string | null }).DeletedAt);
    const since = q.get("changesSince");
    if (since) {
      const at = Date.parse(since);
      if (Number.isNaN(at)) return dineroError(400, 42, `changesSince "${since}" is not a date`);
      out = out.filter((i) => Date.parse((i as { UpdatedAt?: string }).UpdatedAt ?? "1970-01-01") >= at);
    }
    const filter = q.get("queryFilter");
    if (filter) {
      const f = filter.match(/^(\w+) eq '((?:[^']|'')*)'$/);
      if (!f || !filterable.includes(f[1])) return dineroError(400, 42, `The queryFilter "${filter}" is not supported; filterable: ${filterable.join(", ")}`);
      const value = f[2].replace(/''/g, "'").toLowerCase();
      out = out.filter((i) => String((i as Record<string, unknown>)[f[1]] ?? "").toLowerCase() === value);
    }
    const size = Math.min(Number(q.get("pageSize") ?? 100), 1000);
    const page = Number(q.get("page") ?? 0);
    const fields = q.get("fields")?.split(",");
    const shown = out.slice(page * size, (page + 1) * size).map((i) => (fields ? Object.fromEntries(fields.filter((k) => k in i).map((k) => [k, (i as Record<string, unknown>)[k]])) : i));
    return json({ Collection: shown, Pagination: { MaxPageSizeAllowed: 1000, PageSize: size, Result: out.length, ResultWithoutFilter: items.length, Page: page } });
  }

  private guid() {
    return `00000000-0000-4000-8000-${String(++this.seq).padStart(12, "0")}`;
  }
  private timestamp() {
    return (++this.seq).toString(16).padStart(16, "0");
  }
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

function dineroError(status: number, code: number, message: string, validationErrors?: Record<string, string>) {
  return json({ code, message, languageSpecificMessages: [{ property: "", message }], ...(validationErrors ? { validationErrors } : {}) }, status);
}
