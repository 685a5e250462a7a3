/**
 * The one guarded fetch every shop client uses. A tenant chose the URL, so: the SSRF guard on every
 * request (not only when the setting was saved), no redirects followed, a time-out and a cap on the
 * answer's size. Every failure is a TransferError("shop_unavailable") with a message the merchant can act on.
 */
import { TransferError } from "../../domain/errors";
import type { FetchFn } from "../../lib/outbound";
import { checkShopUrl } from "./ssrf";
import { retryAfterSeconds } from "../../lib/retry-after";

export const SHOP_TIMEOUT_MS = 20_000;
export const SHOP_MAX_BYTES = 10 * 1024 * 1024;

export interface ShopAnswer {
  json: unknown;
  headers: Headers;
}

const unavailable = (message: string, retryAfterSeconds?: number) => new TransferError("shop_unavailable", message, { retryAfterSeconds });


/** The guarded request: SSRF check, no redirects, a time-out for the answer's head, a clear error for a non-2xx status. */
async function guardedFetch(fetchFn: FetchFn, env: Pick<Env, "ALLOW_HTTP_SHOP_URLS">, url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  const check = checkShopUrl(url, env.ALLOW_HTTP_SHOP_URLS === "true");
  if (!check.ok) throw unavailable(`The request to the shop was refused: the shop URL ${check.reason}`);
  let res: Response;
  try {
    res = await fetchFn(check.url.toString(), { ...init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
    throw unavailable(timedOut ? `The shop did not answer within ${timeoutMs / 1000} s` : `The shop could not be reached: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (res.status < 200 || res.status >= 300) {
    await res.body?.cancel();
    throw statusError(res);
  }
  return res;
}

export async function shopFetchJson(
  fetchFn: FetchFn,
  env: Pick<Env, "ALLOW_HTTP_SHOP_URLS">,
  url: string,
  init: RequestInit = {},
): Promise<ShopAnswer> {
  const res = await guardedFetch(fetchFn, env, url, init, SHOP_TIMEOUT_MS);
  let text: string;
  try {
    text = await readCapped(res);
  } catch (e) {
    if (e instanceof TransferError) throw e;
    throw unavailable(`The shop's answer could not be read (${e instanceof Error ? e.name : "error"}): it was cut off or too slow`);
  }
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("html") || /^\s*</.test(text))
    throw unavailable(`The shop answered HTML instead of JSON (HTTP ${res.status}): check the shop URL`);
  try {
    return { json: JSON.parse(text), headers: res.headers };
  } catch {
    throw unavailable(`The shop answered invalid JSON (HTTP ${res.status}): ${JSON.stringify(text.slice(0, 80))}`);
  }
}

function statusError(res: Response): TransferError {
  const s = res.status;
  if (s >= 300 && s < 400)
    return unavailable(`The shop answered with a redirect (${s}) to ${res.headers.get("location") ?? "an unknown place"}; redirects are not followed: check the shop URL`);
  if (s === 401 || s === 403) return unavailable(`The shop refused the credentials (${s}): check the access token or API keys`);
  if (s === 429) return unavailable("The shop's API rate limit was reached (429)", retryAfterSeconds(res.headers.get("retry-after")) ?? 60);
  if (s >= 500) return unavailable(`The shop's API failed (${s})`, retryAfterSeconds(res.headers.get("retry-after")));
  return unavailable(`The shop's API answered ${s}: check the shop URL`);
}

/** Reads the body as a stream and stops past SHOP_MAX_BYTES (an endless or huge answer never fills memory). */
async function readCapped(res: Response): Promise<string> {
  if (Number(res.headers.get("content-length") ?? 0) > SHOP_MAX_BYTES) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > SHOP_MAX_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(concat(chunks, size));
}

const tooLarge = () => unavailable(`The shop's answer is larger than ${SHOP_MAX_BYTES / 1024 / 1024} MiB`);

/** How long a streamed file (a bulk operation's JSONL) may take to read; the size cap applies per line instead. */
export const SHOP_STREAM_TIMEOUT_MS = 10 * 60_000;
/** The longest line of a streamed file: one object of the shop's export, never near this. */
export const SHOP_MAX_LINE_BYTES = 1024 * 1024;

/**
 * A large file from the shop (a bulk operation's JSONL result), through the same guard, as a stream:
 * it is never held whole in memory, so the answer-size cap becomes a cap on each line (jsonLines).
 */
export async function shopFetchStream(fetchFn: FetchFn, env: Pick<Env, "ALLOW_HTTP_SHOP_URLS">, url: string, init: RequestInit = {}): Promise<Response> {
  return guardedFetch(fetchFn, env, url, init, SHOP_STREAM_TIMEOUT_MS);
}

export interface JsonLine {
  value: unknown;
  /** Byte offset of the line's first byte, and of the byte after its newline. */
  start: number;
  end: number;
}

/**
 * The lines of a JSONL byte stream, parsed one at a time, with their byte offsets (from `startOffset`).
 * Holds at most one unfinished line plus one chunk; a line longer than `maxLineBytes` is an error.
 * `onBuffered` reports the bytes held after each chunk (tests assert the bound).
 */
export async function* jsonLines(
  body: ReadableStream<Uint8Array>,
  opts: { startOffset?: number; maxLineBytes?: number; onBuffered?: (bytes: number) => void } = {},
): AsyncGenerator<JsonLine> {
  const max = opts.maxLineBytes ?? SHOP_MAX_LINE_BYTES;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let offset = opts.startOffset ?? 0; // offset of the first pending byte
  const emit = (bytes: Uint8Array): JsonLine | null => {
    const start = offset;
    offset += bytes.byteLength;
    const text = decoder.decode(bytes).trim();
    if (!text) return null;
    try {
      return { value: JSON.parse(text), start, end: offset };
    } catch {
      throw unavailable(`The shop's export has an unreadable line at byte ${start}`);
    }
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let from = 0;
      for (let i = value.indexOf(10); i !== -1; i = value.indexOf(10, from)) {
        const piece = value.subarray(from, i + 1);
        const line = pendingBytes ? concat([...pending, piece], pendingBytes + piece.byteLength) : piece;
        pending = [];
        pendingBytes = 0;
        if (line.byteLength > max) throw unavailable(`A line of the shop's export is longer than ${max / 1024} KiB`);
        const parsed = emit(line);
        if (parsed) yield parsed;
        from = i + 1;
      }
      if (from < value.byteLength) {
        const rest = value.slice(from);
        pending.push(rest);
        pendingBytes += rest.byteLength;
        if (pendingBytes > max) throw unavailable(`A line of the shop's export is longer than ${max / 1024} KiB`);
      }
      opts.onBuffered?.(pendingBytes + value.byteLength);
    }
    if (pendingBytes) {
      const parsed = emit(concat(pending, pendingBytes));
      if (parsed) yield parsed;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

function concat(chunks: Uint8Array[], size: number) {
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return all;
}
