/**
 * A small Billy API client (https://api.billysbilling.com/v2, billy.dk/api): the `X-Access-Token`
 * header, singular root keys in requests, a timeout, and every failure mapped to a TransferError
 * category with Billy's own error body (`errorCode`, `errorMessage`, `validationErrors`) kept.
 */
import { TransferError } from "../../domain/errors";
import { jsonApiRequest, type Query } from "../../lib/json-api";
import type { FetchFn } from "../../lib/outbound";
import { retryAfterSeconds } from "../economic/client";

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
  return new TransferError("accounting_rejected", `Billy rejected ${what} (${status}): ${message}`, { details });
}
