/**
 * A small e-conomic REST client (https://restapi.e-conomic.com, docs: e-conomic/slate): the two token
 * headers, collection paging, filter escaping, a timeout, and the mapping of every failure to a
 * TransferError category with e-conomic's own message kept.
 */
import { TransferError } from "../../domain/errors";
import { jsonApiRequest, type Query } from "../../lib/json-api";
import type { FetchFn } from "../../lib/outbound";
import { retryAfterSeconds } from "../../lib/retry-after";

export interface EconomicClientOptions {
  baseUrl: string;
  appSecretToken: string;
  agreementGrantToken: string;
  fetch: FetchFn;
  /** Per request; default 15 s. */
  timeoutMs?: number;
  /** Waits for the agreement's request budget before each request (the shared token bucket). */
  beforeRequest?: () => Promise<void>;
}

export interface Pagination {
  maxPageSizeAllowed?: number;
  skipPages?: number;
  pageSize?: number;
  results?: number;
  resultsWithoutFilter?: number;
  firstPage?: string;
  nextPage?: string;
  lastPage?: string;
}

export interface Collection<T> {
  collection: T[];
  pagination?: Pagination;
}

/** e-conomic's largest page. */
export const MAX_PAGE_SIZE = 1000;
/** A runaway pager stops here (1,000,000 items at the largest page). */
const MAX_PAGES = 1000;


export class EconomicClient {
  private count = 0;
  private readonly base: string;

  constructor(private readonly opts: EconomicClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, "");
  }

  /** HTTP requests made (including failed ones). */
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

  /** One page of a collection. */
  page<T>(path: string, query: Query = {}, skipPages = 0, pageSize = MAX_PAGE_SIZE) {
    return this.get<Collection<T>>(path, { ...query, skippages: skipPages, pagesize: pageSize });
  }

  /** Every item of a collection: pages of 1000 for as long as e-conomic announces a next page. */
  async all<T>(path: string, query: Query = {}, first?: Collection<T>): Promise<T[]> {
    let page = first ?? (await this.page<T>(path, query, 0));
    const items = [...(page.collection ?? [])];
    for (let skip = 1; page.pagination?.nextPage && page.collection?.length && skip < MAX_PAGES; skip++) {
      page = await this.page<T>(path, query, skip);
      items.push(...(page.collection ?? []));
    }
    return items;
  }

  request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    return jsonApiRequest<T>({
      system: "e-conomic",
      fetch: this.opts.fetch,
      method,
      base: this.base,
      path,
      query,
      body,
      headers: { "X-AppSecretToken": this.opts.appSecretToken, "X-AgreementGrantToken": this.opts.agreementGrantToken },
      timeoutMs: this.opts.timeoutMs,
      beforeRequest: this.opts.beforeRequest,
      onSend: () => this.count++,
      toError: economicError,
    });
  }
}

/** e-conomic's error document (_introduction.md "Annotated errors"). */
interface EconomicErrorBody {
  message?: string;
  developerHint?: string;
  logId?: string;
  httpStatusCode?: number;
  errorCode?: string;
  errors?: unknown;
}

/** A failed response → the error category: 401/403 auth, 429/5xx unavailable (transient), other 4xx rejected. */
export function economicError(status: number, body: unknown, retryAfter: string | null, what: string): TransferError {
  const b = (body && typeof body === "object" ? body : {}) as EconomicErrorBody;
  const fields = fieldErrors(b.errors);
  let message = b.message?.trim() || `HTTP ${status}`;
  if (fields.length > 0) message += ` ${fields.join("; ")}`;
  else if (b.developerHint && status < 500) message += ` (${b.developerHint})`;
  const details = { httpStatusCode: status, logId: b.logId, errorCode: b.errorCode, errors: b.errors, request: what };
  if (status === 401 || status === 403)
    return new TransferError("accounting_auth_failed", `e-conomic refused access (${status}): ${message}`, { details });
  if (status === 429 || status >= 500)
    return new TransferError("accounting_unavailable", `e-conomic is unavailable (${status}): ${message}`, {
      retryAfterSeconds: retryAfterSeconds(retryAfter),
      details,
    });
  return new TransferError("accounting_rejected", `e-conomic rejected ${what} (${status}): ${message}`, { details });
}

/**
 * The annotated field errors as "field: message" lines. Errors sit under `errors: {prop: {errors: [..]}}`;
 * arrays (lines) carry `arrayIndex`. Items say `message` (documented) or `errorMessage` (newer answers).
 */
export function fieldErrors(errors: unknown, path = ""): string[] {
  if (!errors || typeof errors !== "object") return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(errors as Record<string, unknown>)) {
    if (key === "arrayIndex" || !value || typeof value !== "object") continue;
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        const index = (item as { arrayIndex?: number })?.arrayIndex ?? i;
        out.push(...fieldErrors(item, `${path}${key}[${index}].`));
      });
      continue;
    }
    const list = (value as { errors?: unknown }).errors;
    if (Array.isArray(list)) {
      for (const e of list as { message?: string; errorMessage?: string; errorCode?: string }[])
        out.push(`${path}${key}: ${e?.message ?? e?.errorMessage ?? e?.errorCode ?? "invalid"}`);
    }
    out.push(...fieldErrors(Object.fromEntries(Object.entries(value).filter(([k]) => k !== "errors")), `${path}${key}.`));
  }
  return out;
}


/** A value inside an e-conomic filter (`field$eq:value`), with the documented escapes ($ ( ) * , [ ]). */
export function filterValue(value: string): string {
  return value.replace(/[$()*,[\]]/g, (c) => `$${c}`);
}
