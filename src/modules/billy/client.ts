/**
 * A small Billy API client (https://api.billysbilling.com/v2, billy.dk/api): the `X-Access-Token`
 * header, singular root keys in requests, a timeout, and every failure mapped to a TransferError
 * category with Billy's own error body (`errorCode`, `errorMessage`, `validationErrors`) kept.
 */
import { TransferError } from "../../domain/errors";
import { jsonApiRequest, type Query } from "../../lib/json-api";
import type { FetchFn } from "../../lib/outbound";
import { retryAfterSeconds } from "../../lib/retry-after";

export interface BillyClientOptions {
  baseUrl: string;
  accessToken: string;
  fetch: FetchFn;
  timeoutMs?: number;
  /** Waits for the shared request budget before each request. */
  beforeRequest?: () => Promise<void>;
}


export class BillyClient {
  private count = 0;
  private readonly base: string;

  constructor(private readonly opts: BillyClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, "");
  }

  calls() {
    return this.count;
  }

  get<T>(path: string, query?: Query) {
    return this.request<T>("GET", path, undefined, query);
  }
  post<T>(path: string, body: unknown) {
    return this.request<T>("POST", path, body);
  }
  put<T>(path: string, body: unknown) {
    return this.request<T>("PUT", path, body);
  }

  request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    return jsonApiRequest<T>({
      system: "Billy",
      fetch: this.opts.fetch,
      method,
      base: this.base,
      path,
      query,
      body,
      headers: { "X-Access-Token": this.opts.accessToken, Accept: "application/json" },
      timeoutMs: this.opts.timeoutMs,
      beforeRequest: this.opts.beforeRequest,
      onSend: () => this.count++,
      toError: billyError,
    });
  }
}

/** What to do about each frequent error, in Billy's words (Danish / English). */
export const BILLY_HINTS: Partial<Record<string, string>> = {
  sku_missing: "Giv varen et varenummer (SKU) i webshoppen, og opdatér ordren. Billy finder varen på varenr. = SKU. / Give the product a SKU in the shop and update the order: Billy finds the product by product no. = SKU.",
  customer_info_missing: "Udfyld kundens navn, e-mail og land på ordren: Billy opretter kontakten med land og e-mail på kontaktpersonen. / Complete the customer's name, email and country on the order: Billy creates the contact with its country and the email on its contact person.",
  vat_setup_missing: "Giv varen et momsregelsæt (Indstillinger → Moms) med en regel for kundens land og den moms, ordren har. / Give the product a sales tax ruleset (Settings → VAT) with a rule for the customer's country at the order's VAT rate.",
  fiscal_year_closed: "Perioden er låst i Billy: lås den op (Indstillinger → Regnskabsår / låsning), og overfør ordren igen. / The period is locked in Billy: unlock it (Settings → Fiscal year / locking) and transfer the order again.",
  totals_mismatch: "Billys linjer kan ikke give ordrens total: tjek momssatserne i webshoppen og varernes momsregelsæt i Billy. / Billy's lines cannot add up to the order's total: check the VAT rates in the shop and the products' sales tax rulesets in Billy.",
};

/** Billy's error body (billy.dk/api; Apaq/dinero-java RequestException). */
interface BillyErrorBody {
  errorCode?: string;
  errorMessage?: string;
  helpUrl?: string;
  validationErrors?: unknown;
}

/** "invoice.lines[0].productId: ..." lines from Billy's validationErrors ({record: {attributes: {field: message}}}). */
export function validationMessages(errors: unknown, path = ""): string[] {
  if (!errors || typeof errors !== "object") return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(errors as Record<string, unknown>)) {
    const here = key === "attributes" ? path : `${path}${key}`;
    if (typeof value === "string") out.push(`${here}: ${value}`);
    else out.push(...validationMessages(value, here && key !== "attributes" ? `${here}.` : here));
  }
  return out;
}

/** A failed response → the category: 401/403 auth, 429/5xx unavailable (retried, Retry-After kept), other 4xx rejected. */
export function billyError(status: number, body: unknown, retryAfter: string | null, what: string): TransferError {
  const b = (body && typeof body === "object" ? body : {}) as BillyErrorBody;
  const fields = validationMessages(b.validationErrors);
  let message = b.errorMessage?.trim() || `HTTP ${status}`;
  if (b.errorCode) message = `${message} [${b.errorCode}]`;
  if (fields.length > 0) message += ` ${fields.join("; ")}`;
  const details = { httpStatusCode: status, errorCode: b.errorCode, validationErrors: b.validationErrors, request: what };
  if (status === 401 || status === 403)
    return new TransferError("accounting_auth_failed", `Billy refused the access token (${status}): ${message}`, {
      details,
      hint: "Create a new access token in Billy (Indstillinger → Adgangstokens / Settings → Access tokens) and paste it into the integration.",
    });
  if (status === 429 || status >= 500)
    return new TransferError("accounting_unavailable", `Billy is unavailable (${status}): ${message}`, { retryAfterSeconds: retryAfterSeconds(retryAfter), details });
  // Billy refuses an entry date in a locked period (its fiscal-year lock) on the entryDate field.
  const locked = fields.find((f) => /entryDate/i.test(f) && /lock|låst|closed|lukket/i.test(f));
  if (locked)
    return new TransferError("fiscal_year_closed", `Billy refused the date of ${what}: ${message}`, {
      details,
      hint: BILLY_HINTS.fiscal_year_closed,
    });
  return new TransferError("accounting_rejected", `Billy rejected ${what} (${status}): ${message}`, { details });
}
