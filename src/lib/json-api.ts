/**
 * One JSON request to an accounting system's REST API, the part every accounting client shares: the
 * query string, the shared request budget, a time-out, the JSON body read back, and any failure mapped to
 * a TransferError (a system that did not answer, or an answer that is not JSON, is accounting_unavailable;
 * an error status goes through the module's own `toError`, which keeps the system's error body).
 */
import { TransferError } from "../domain/errors";
import type { FetchFn } from "./outbound";

export type Query = Record<string, string | number | undefined>;

/** What every accounting client is made with (the system's own credentials come on top). */
export interface ApiClientOptions {
  baseUrl: string;
  fetch: FetchFn;
  /** Per request; default 15 s. */
  timeoutMs?: number;
  /** Waits for the shared request budget before each request. */
  beforeRequest?: () => Promise<void>;
}

export interface JsonApiRequest {
  /** The system's name in messages ("e-conomic", "Billy"). */
  system: string;
  fetch: FetchFn;
  method: string;
  base: string;
  path: string;
  query?: Query;
  body?: unknown;
  headers: Record<string, string>;
  timeoutMs?: number;
  beforeRequest?: () => Promise<void>;
  /** Called once the request is sent (after the budget allowed it): the client's call count. */
  onSend?: () => void;
  toError(status: number, body: unknown, retryAfter: string | null, what: string): TransferError;
}

export async function jsonApiRequest<T>(r: JsonApiRequest): Promise<T> {
  const url = new URL(r.base + r.path);
  for (const [k, v] of Object.entries(r.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  const timeoutMs = r.timeoutMs ?? 15_000;
  const what = `${r.method} ${r.path}`;
  await r.beforeRequest?.();
  r.onSend?.();
  let res: Response;
  try {
    res = await r.fetch(url.toString(), {
      method: r.method,
      headers: { ...r.headers, "Content-Type": "application/json" },
      body: r.body === undefined ? undefined : JSON.stringify(r.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
    throw new TransferError(
      "accounting_unavailable",
      timedOut ? `${r.system} did not answer ${what} within ${timeoutMs / 1000} s.` : `${r.system} could not be reached (${what}): ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const text = await res.text().catch(() => "");
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) throw r.toError(res.status, json, res.headers.get("Retry-After"), what);
  if (text && json === undefined) throw new TransferError("accounting_unavailable", `${r.system} answered ${what} with a body that is not JSON.`);
  return json as T;
}
