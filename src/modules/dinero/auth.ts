/**
 * Dinero's access tokens (reference-wave2 §1 "Auth"). Two ways in, one token out:
 * - a personal integration: `POST {DINERO_AUTH_URL}/dineroapi/oauth/token`, password grant, the operator's
 *   DINERO_CLIENT_ID/SECRET as basic auth and the organization's API key as username and password;
 * - Visma Connect (a connection made by /connect/dinero): `POST {VISMA_CONNECT_URL}/connect/token` with
 *   grant_type=refresh_token (the code exchange of the callback uses the same endpoint).
 * An access token (3,600 s) is kept, encrypted, in the accounting cache and used until shortly before it
 * runs out, so an order costs no token call. Visma Connect hands out a new refresh token with each refresh
 * (one-time use): the newest one is kept with the access token, under a key derived from the refresh token
 * the connection stored, so reconnecting starts afresh. A refused grant is accounting_auth_failed.
 */
import { TransferError } from "../../domain/errors";
import type { CacheEntry } from "../../db/bindings";
import { decryptSecret, encryptSecret, toBase64 } from "../../lib/crypto";
import type { FetchFn } from "../../lib/outbound";
import { retryAfterSeconds } from "../../lib/retry-after";

/** The Worker's Dinero configuration (api.md "Configuration"); every one is optional for the Worker as a whole. */
export type DineroEnv = Env & {
  DINERO_API_URL?: string;
  DINERO_AUTH_URL?: string;
  VISMA_CONNECT_URL?: string;
  DINERO_CLIENT_ID?: string;
  DINERO_CLIENT_SECRET?: string;
};

export const dineroApiUrl = (env: DineroEnv) => (env.DINERO_API_URL || "https://api.dinero.dk").replace(/\/+$/, "");
const authUrl = (env: DineroEnv) => (env.DINERO_AUTH_URL || "https://authz.dinero.dk").replace(/\/+$/, "");
export const vismaConnectUrl = (env: DineroEnv) => (env.VISMA_CONNECT_URL || "https://connect.visma.com").replace(/\/+$/, "");

/** A kept token is used until this long before it runs out. */
export const TOKEN_MARGIN_MS = 5 * 60_000;
/** How often, and how far apart, a refused refresh looks for the token a concurrent refresh kept. */
const RACE_READS = 5;
const RACE_WAIT_MS = 200;

/** The operator's client, or accounting_auth_failed naming what is missing (only tenants on Dinero need it). */
export function dineroClientOf(env: DineroEnv) {
  if (!env.DINERO_CLIENT_ID || !env.DINERO_CLIENT_SECRET)
    throw new TransferError("accounting_auth_failed", "The Dinero client (DINERO_CLIENT_ID / DINERO_CLIENT_SECRET) is not configured for orderbridge.", {
      hint: "Kontakt support: orderbridge mangler sin Dinero-klient. / Contact support: orderbridge's Dinero client is not configured.",
    });
  return { id: env.DINERO_CLIENT_ID, secret: env.DINERO_CLIENT_SECRET };
}

export interface TokenAnswer {
  accessToken: string;
  /** Epoch ms when the access token runs out. */
  expiresAt: number;
  refreshToken?: string;
}

export type DineroCredential = { apiKey: string; refreshToken?: undefined } | { refreshToken: string; apiKey?: undefined };

/** The credential a session uses: a Visma Connect connection takes precedence over a typed API key. */
export function credentialOf(settings: { apiKey?: string; refreshToken?: string }): DineroCredential {
  if (settings.refreshToken) return { refreshToken: settings.refreshToken };
  if (settings.apiKey) return { apiKey: settings.apiKey };
  throw new TransferError("accounting_auth_failed", "Dinero has neither an API key nor a connection.", {
    hint: "Forbind Dinero, eller indtast organisationens API-nøgle. / Connect Dinero, or enter the organization's API key.",
  });
}

const REFUSED_HINT =
  "Opret en ny API-nøgle i Dinero (Indstillinger → Integrationer), eller forbind Dinero igen. / Create a new API key in Dinero (Settings → Integrations), or connect Dinero again.";

/** One form-encoded token request (OAuth 2: `{access_token, expires_in, refresh_token?}` or `{error, error_description}`). */
export async function tokenRequest(fetch: FetchFn, url: string, form: Record<string, string>, headers: Record<string, string> = {}, now = Date.now()): Promise<TokenAnswer> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json", ...headers },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    throw new TransferError("accounting_unavailable", `Dinero's token service could not be reached: ${e instanceof Error ? e.message : String(e)}`);
  }
  const text = await res.text().catch(() => "");
  let body: { access_token?: string; expires_in?: number; refresh_token?: string; error?: string; error_description?: string } = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = {};
  }
  if (res.status === 429 || res.status >= 500)
    throw new TransferError("accounting_unavailable", `Dinero's token service is unavailable (${res.status}).`, { retryAfterSeconds: retryAfterSeconds(res.headers.get("Retry-After")) });
  if (!res.ok || !body.access_token) {
    const why = [body.error, body.error_description].filter(Boolean).join(": ") || `HTTP ${res.status}`;
    throw new TransferError("accounting_auth_failed", `Dinero refused the credentials (${why}).`, { hint: REFUSED_HINT, details: { httpStatusCode: res.status, error: body.error } });
  }
  const seconds = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 3600;
  return { accessToken: body.access_token, expiresAt: now + seconds * 1000, ...(body.refresh_token ? { refreshToken: body.refresh_token } : {}) };
}

/** A new token for the credential: the password grant with the API key, or a refresh at Visma Connect. */
export function requestToken(env: DineroEnv, fetch: FetchFn, credential: DineroCredential, now = Date.now()): Promise<TokenAnswer> {
  const client = dineroClientOf(env);
  if (credential.apiKey !== undefined)
    return tokenRequest(
      fetch,
      `${authUrl(env)}/dineroapi/oauth/token`,
      { grant_type: "password", scope: "read write", username: credential.apiKey, password: credential.apiKey },
      { Authorization: `Basic ${toBase64(new TextEncoder().encode(`${client.id}:${client.secret}`))}` },
      now,
    );
  return tokenRequest(fetch, `${vismaConnectUrl(env)}/connect/token`, { grant_type: "refresh_token", refresh_token: credential.refreshToken, client_id: client.id, client_secret: client.secret }, {}, now);
}

/** The Visma Connect code exchange of /connect/dinero/callback. */
export function exchangeDineroCode(env: DineroEnv, fetch: FetchFn, code: string, redirectUri: string, now = Date.now()): Promise<TokenAnswer> {
  const client = dineroClientOf(env);
  return tokenRequest(fetch, `${vismaConnectUrl(env)}/connect/token`, { grant_type: "authorization_code", code, redirect_uri: redirectUri, client_id: client.id, client_secret: client.secret }, {}, now);
}

/** What the cache keeps: the token answer, encrypted (it is a credential). */
export interface KeptToken {
  sealed: string;
}

/**
 * The access token of one integration's credential: the kept one while it has more than TOKEN_MARGIN_MS
 * left, else a new one (kept for the next session). `expire()` drops the kept access token after Dinero
 * refused it (revoked early), keeping the newest refresh token.
 */
export class DineroTokens {
  private current?: TokenAnswer;
  private pending?: Promise<string>;
  private requests = 0;

  constructor(
    private readonly env: DineroEnv,
    private readonly fetch: FetchFn,
    private readonly credential: DineroCredential,
    private readonly kept: CacheEntry<KeptToken> | undefined,
    /** The additional data of the encryption (integration bound). */
    private readonly context: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Token requests made (the benchmark counts them as calls). */
  calls() {
    return this.requests;
  }

  accessToken(): Promise<string> {
    if (this.current && this.current.expiresAt - this.now() > TOKEN_MARGIN_MS) return Promise.resolve(this.current.accessToken);
    // One request at a time: the orders of a batch share the token (and a refresh token is used once).
    this.pending ??= this.obtain().finally(() => (this.pending = undefined));
    return this.pending;
  }

  async expire() {
    if (!this.current) return;
    this.current = { ...this.current, expiresAt: 0 };
    await this.keep(this.current);
  }

  private async obtain(): Promise<string> {
    const stored = await this.read();
    if (stored && stored.expiresAt - this.now() > TOKEN_MARGIN_MS) {
      this.current = stored;
      return stored.accessToken;
    }
    // A refresh uses the newest refresh token (the stored one was used up by the refresh that made `stored`).
    const credential: DineroCredential = this.credential.refreshToken !== undefined && stored?.refreshToken ? { refreshToken: stored.refreshToken } : this.credential;
    this.requests++;
    let answer: TokenAnswer;
    try {
      answer = await requestToken(this.env, this.fetch, credential, this.now());
    } catch (e) {
      // Another worker refreshed with the same one-time refresh token a moment earlier: take its token.
      const theirs = credential.refreshToken !== undefined && e instanceof TransferError && e.category === "accounting_auth_failed" ? await this.newerThan(credential.refreshToken) : undefined;
      if (!theirs) throw e;
      this.current = theirs;
      return theirs.accessToken;
    }
    this.current = { ...answer, refreshToken: answer.refreshToken ?? credential.refreshToken };
    await this.keep(this.current);
    return answer.accessToken;
  }

  /** A kept token made from a refresh token other than `used`, looked for a few times while the other worker stores it. */
  private async newerThan(used: string): Promise<TokenAnswer | undefined> {
    for (let i = 0; i < RACE_READS; i++) {
      const stored = await this.read();
      if (stored?.refreshToken && stored.refreshToken !== used && stored.expiresAt - this.now() > TOKEN_MARGIN_MS) return stored;
      await new Promise((r) => setTimeout(r, RACE_WAIT_MS));
    }
    return undefined;
  }

  private async read(): Promise<TokenAnswer | undefined> {
    try {
      const entry = await this.kept?.read();
      return entry ? (JSON.parse(await decryptSecret(this.env.ENCRYPTION_KEY, entry.data.sealed, this.context)) as TokenAnswer) : undefined;
    } catch {
      return undefined;
    }
  }

  private async keep(token: TokenAnswer) {
    if (!this.kept) return;
    const sealed = await encryptSecret(this.env.ENCRYPTION_KEY, JSON.stringify(token), this.context);
    // Keeping is an optimisation for an API key; for a connection it keeps the newest refresh token.
    await this.kept.write({ sealed }, new Date(this.now()).toISOString()).catch(() => undefined);
  }
}
