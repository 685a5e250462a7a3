/**
 * A small Dinero API client (https://api.dinero.dk, api.dinero.dk/docs): the bearer token, the
 * organization in every path, a timeout, the shared request budget (100 requests a minute per
 * organization), and every failure mapped to a TransferError with Dinero's own error body kept
 * (`code`, `message`, `validationErrors`). An access token Dinero refuses (401) is renewed once.
 */
import { TransferError } from "../../domain/errors";
import { jsonApiRequest, type ApiClientOptions, type Query } from "../../lib/json-api";
import { retryAfterSeconds } from "../../lib/retry-after";

/** Dinero's error codes used here (developer.dinero.dk "Error and status"). */
export const DINERO_CODES = { notFound: 40, unauthorized: 41, validation: 42, limitExceeded: 43, noPro: 48, outdatedTimestamp: 58 } as const;

/** Where a client gets its access token (auth.ts DineroTokens; a fixed one right after a code exchange). */
export interface TokenSource {
  accessToken(): Promise<string>;
  /** Dinero refused the token: the next accessToken() is a new one. */
  expire(): Promise<void>;
  /** Token requests made. */
  calls(): number;
}

/** A token that was just issued (a connect callback's): used as it is. */
export const fixedToken = (accessToken: string): TokenSource => ({ accessToken: async () => accessToken, expire: async () => undefined, calls: () => 0 });

export interface DineroClientOptions extends ApiClientOptions {
  organizationId: string;
  tokens: TokenSource;
}

export class DineroClient {
  private count = 0;

  constructor(private readonly opts: DineroClientOptions) {}

  get organizationId() {
    return this.opts.organizationId;
  }

  /** API requests made plus token requests (both count as calls per order). */
  calls() {
    return this.count + this.opts.tokens.calls();
  }

  /** `path` is below the organization: "/invoices" → /v1/{org}/invoices (`version` "v1.2" for the versioned update). */
  get<T>(path: string, query?: Query, version = "v1") {
    return this.request<T>("GET", `/${version}/${this.opts.organizationId}${path}`, undefined, query);
  }
  post<T>(path: string, body: unknown, version = "v1") {
    return this.request<T>("POST", `/${version}/${this.opts.organizationId}${path}`, body);
  }
  put<T>(path: string, body: unknown, version = "v1") {
    return this.request<T>("PUT", `/${version}/${this.opts.organizationId}${path}`, body);
  }

  async request<T>(method: string, path: string, body?: unknown, query?: Query, renewed = false): Promise<T> {
    const token = await this.opts.tokens.accessToken();
    try {
      return await jsonApiRequest<T>({
        system: "Dinero",
        fetch: this.opts.fetch,
        method,
        base: this.opts.baseUrl.replace(/\/+$/, ""),
        path,
        query,
        body,
        headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
        timeoutMs: this.opts.timeoutMs,
        beforeRequest: this.opts.beforeRequest,
        onSend: () => this.count++,
        toError: (status, b, retryAfter, what) => dineroError(status, b, retryAfter, what, this.opts.organizationId),
      });
    } catch (e) {
      // A kept token revoked before its time: one new token, one more try; a second refusal stands.
      if (!renewed && e instanceof TransferError && e.details?.httpStatusCode === 401) {
        await this.opts.tokens.expire();
        return this.request<T>(method, path, body, query, true);
      }
      throw e;
    }
  }
}

/** Dinero's error body (developer.dinero.dk "Error and status"; Apaq/dinero-java). */
interface DineroErrorBody {
  code?: number;
  message?: string;
  languageSpecificMessages?: { property?: string; message?: string }[];
  validationErrors?: Record<string, unknown>;
}

/** "Field: message" lines of Dinero's validationErrors. */
export function dineroValidationMessages(errors: unknown): string[] {
  if (!errors || typeof errors !== "object") return [];
  return Object.entries(errors as Record<string, unknown>).map(([field, m]) => `${field}: ${Array.isArray(m) ? m.join(", ") : String(m)}`);
}

/** Dinero's error code of a TransferError made by dineroError. */
export const dineroCode = (e: unknown) => (e instanceof TransferError ? (e.details?.dineroCode as number | undefined) : undefined);

/**
 * A failed response → the category: 401 refused token and 403 (no Dinero Pro, or no access to the
 * organization) accounting_auth_failed; 429 (quota), 480 (brownout) and 5xx accounting_unavailable with
 * Retry-After kept; any other 4xx accounting_rejected with Dinero's message and field errors.
 */
export function dineroError(status: number, body: unknown, retryAfter: string | null, what: string, organizationId = ""): TransferError {
  const b = (body && typeof body === "object" ? body : {}) as DineroErrorBody;
  const fields = dineroValidationMessages(b.validationErrors);
  let message = b.message?.trim() || (typeof body === "string" ? body : "") || `HTTP ${status}`;
  if (b.code !== undefined) message = `${message} [code ${b.code}]`;
  if (fields.length > 0) message += ` ${fields.join("; ")}`;
  const details = { httpStatusCode: status, dineroCode: b.code, validationErrors: b.validationErrors, request: what };
  if (status === 401)
    return new TransferError("accounting_auth_failed", `Dinero refused the access token (401): ${message}`, {
      details,
      hint: "Forbind Dinero igen, eller indtast en ny API-nøgle. / Connect Dinero again, or enter a new API key.",
    });
  if (status === 403)
    return new TransferError("accounting_auth_failed", `Dinero refused access to organization ${organizationId} (403): ${message}. API access needs a Dinero Pro subscription on the organization, and the API key or connection must belong to it.`, {
      details,
      hint: "Dinero kræver et Dinero Pro-abonnement for at give adgang via API'et: opgrader firmaet under Abonnement i Dinero, og tjek at firma-id'et passer. / Dinero gives API access only with a Dinero Pro subscription: upgrade the organization under Subscription in Dinero, and check the organization id.",
    });
  if (status === 429 || status === 480 || status >= 500)
    return new TransferError("accounting_unavailable", `Dinero is unavailable (${status}): ${message}`, { retryAfterSeconds: retryAfterSeconds(retryAfter), details });
  return new TransferError("accounting_rejected", `Dinero rejected ${what} (${status}): ${message}`, { details });
}

/** A value inside a Dinero `queryFilter` (`Field eq 'value'`): quotes doubled, as OData escapes them. */
export const filterText = (value: string) => `'${value.replace(/'/g, "''")}'`;
