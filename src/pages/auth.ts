/**
 * Settings-page authentication: PBKDF2 passwords (Web Crypto), sessions in D1 behind the
 * `__Host-session` cookie (only the SHA-256 of the token is stored), a CSRF token per session,
 * and a fixed-window limit on failed sign-ins per email and per client address.
 */
import { and, eq, inArray, isNull, lt } from "drizzle-orm";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { getDb } from "../db/client";
import { sessions, signInAttempts, users } from "../db/schema";
import { fromBase64, randomToken, safeEqual, sha256Hex, toBase64 } from "../lib/crypto";
import type { Lang } from "../words/i18n";

export const SESSION_COOKIE = "__Host-session";
/** Double-submit token for the forms shown before there is a session (sign-in, invite). */
export const PRE_CSRF_COOKIE = "__Host-csrf";
export const SESSION_DAYS = 14;
/** Web Crypto in Workers allows at most 100 000 PBKDF2 iterations. */
const PBKDF2_ITERATIONS = 100_000;
/** Failures of one email from one client address before its delays start. */
export const MAX_FAILURES_PER_EMAIL_AND_IP = 5;
/** Failures from one client address (any email) before its delays start. */
export const MAX_FAILURES_PER_IP = 30;
/** Failures of one email from anywhere (a guessing spread over many addresses) before its delays start. */
export const MAX_FAILURES_PER_EMAIL = 100;
export const ATTEMPT_WINDOW_MS = 15 * 60_000;
export const MIN_PASSWORD = 10;

export type SessionUser = { id: string; email: string; role: "owner" | "member"; tenantId: string };
export type PagesEnv = {
  Bindings: Env;
  Variables: { user: SessionUser; csrf: string; lang: Lang; preCsrf: string };
};
export type PageContext = Context<PagesEnv>;

const enc = new TextEncoder();

async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256));
}

/** `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>` */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await pbkdf2(password, salt, PBKDF2_ITERATIONS);
  return `pbkdf2-sha256$${PBKDF2_ITERATIONS}$${toBase64(salt)}$${toBase64(hash)}`;
}

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  // Without a stored hash, still spend the same work so timing does not tell which emails exist.
  const [scheme, iter, salt, hash] = (stored ?? `pbkdf2-sha256$${PBKDF2_ITERATIONS}$AAAAAAAAAAAAAAAAAAAAAA==$`).split("$");
  if (scheme !== "pbkdf2-sha256") return false;
  const got = await pbkdf2(password, fromBase64(salt), Number(iter));
  return stored !== null && (await safeEqual(toBase64(got), hash));
}

function cookieOptions(maxAge: number) {
  return { path: "/", secure: true, httpOnly: true, sameSite: "Lax" as const, maxAge };
}

export async function createSession(c: PageContext, user: { id: string; tenantId: string }) {
  const token = randomToken(32);
  const expiresAt = new Date(Date.now() + SESSION_DAYS * 86400_000).toISOString();
  const db = getDb(c.env);
  await db.batch([
    // Expired sessions of this user are cleaned up on each sign-in.
    db.delete(sessions).where(and(eq(sessions.userId, user.id), lt(sessions.expiresAt, new Date().toISOString()))),
    db.insert(sessions).values({ idHash: await sha256Hex(token), userId: user.id, tenantId: user.tenantId, csrfToken: randomToken(24), expiresAt }),
  ]);
  setCookie(c, SESSION_COOKIE, token, cookieOptions(SESSION_DAYS * 86400));
}

export async function destroySession(c: PageContext) {
  const token = getCookie(c, SESSION_COOKIE);
  if (token) await getDb(c.env).delete(sessions).where(eq(sessions.idHash, await sha256Hex(token)));
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true });
}

/** The signed-in user of this request, or null (expired session, removed user, no cookie). */
export async function currentSession(c: PageContext): Promise<{ user: SessionUser; csrf: string } | null> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token || token.length > 200) return null;
  const row = await getDb(c.env)
    .select({ id: users.id, email: users.email, role: users.role, tenantId: sessions.tenantId, csrf: sessions.csrfToken, expiresAt: sessions.expiresAt, userTenant: users.tenantId })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.idHash, await sha256Hex(token)), isNull(users.removedAt)))
    .get();
  if (!row || row.expiresAt < new Date().toISOString() || row.userTenant !== row.tenantId) return null;
  return { user: { id: row.id, email: row.email, role: row.role, tenantId: row.tenantId }, csrf: row.csrf };
}

/** What a page does when a form arrives without a valid token or from a member (set by the page module, which renders). */
export interface FormRefusals {
  /** The session is valid but the form's token is not: show the form's input again with a fresh token. */
  expired(c: PageContext, form: Record<string, unknown>): Response | Promise<Response>;
  /** A member posted a form only an owner may send: 403, nothing changed. */
  ownerOnly(c: PageContext): Response | Promise<Response>;
  /** No session at all (signed out, expired): 403. */
  signedOut(c: PageContext): Response | Promise<Response>;
}

/** Forms a member may send (domain.md "Roles": a member sees everything and may transfer an order again). */
const MEMBER_FORMS = [/^\/integrations\/[^/]+\/orders\/[^/]+\/transfer-again$/, /^\/sign-out$/, /^\/account$/];
export const memberMay = (path: string) => MEMBER_FORMS.some((re) => re.test(path));

/**
 * Pages behind sign-in: no session → the sign-in page; every POST must carry the session's CSRF token,
 * and only an owner may post anything but the member forms. The role is checked after the token, so a
 * forged form never learns more than "expired".
 */
export function requireUserWith(refuse: FormRefusals) {
  return createMiddleware<PagesEnv>(async (c, next) => {
    const s = await currentSession(c);
    if (!s) {
      // The page's filters and search come back after signing in.
      if (c.req.method === "GET") return c.redirect(`/?next=${encodeURIComponent(c.req.path + new URL(c.req.url).search)}`, 303);
      return refuse.signedOut(c);
    }
    c.set("user", s.user);
    c.set("csrf", s.csrf);
    // The language chosen on the page is the user's: their notifications are written in it (R25).
    if (c.req.query("lang") && c.req.query("lang") === c.get("lang")) await getDb(c.env).update(users).set({ language: c.get("lang") }).where(eq(users.id, s.user.id));
    if (c.req.method === "POST") {
      const body = await c.req.parseBody();
      const sent = typeof body._csrf === "string" ? body._csrf : c.req.header("x-csrf-token") ?? "";
      if (!sent || !(await safeEqual(sent, s.csrf))) return refuse.expired(c, body);
      if (s.user.role !== "owner" && !memberMay(c.req.path)) return refuse.ownerOnly(c);
    }
    await next();
  });
}

/** The pre-session CSRF token: a random cookie echoed in the form (double submit). */
export function preCsrfToken(c: PageContext): string {
  let t = getCookie(c, PRE_CSRF_COOKIE);
  if (!t || !/^[A-Za-z0-9_-]{20,64}$/.test(t)) {
    t = randomToken(24);
    setCookie(c, PRE_CSRF_COOKIE, t, cookieOptions(3600));
  }
  return t;
}

export async function checkPreCsrf(c: PageContext, sent: unknown): Promise<boolean> {
  const cookie = getCookie(c, PRE_CSRF_COOKIE);
  return typeof sent === "string" && !!cookie && (await safeEqual(sent, cookie));
}

// ---- rate limit of failed sign-ins ----
// Failures are counted per (email, client address), per client address and per email. Past a limit the
// key waits a growing delay (30 s, doubling with each further failure, at most 15 minutes) from its last
// failure; a quiet quarter of an hour starts the count again. So an attacker in one place is stopped
// after 5 guesses at an email (and 30 at any), while the owner signing in from elsewhere is not locked
// out; only a guessing spread over many addresses (100 failures for one email) slows the email itself.
// The answers are the same for known and unknown emails.

function clientIp(c: PageContext) {
  return c.req.header("cf-connecting-ip") ?? "unknown";
}

const attemptKeys = (c: PageContext, email: string) =>
  [
    [`email-ip:${email}|${clientIp(c)}`, MAX_FAILURES_PER_EMAIL_AND_IP],
    [`ip:${clientIp(c)}`, MAX_FAILURES_PER_IP],
    [`email:${email}`, MAX_FAILURES_PER_EMAIL],
  ] as const;

/** The wait after `count` failures with a limit of `max`: 0 below it, then 30 s doubling, at most 15 minutes. */
export function signInDelayMs(count: number, max: number): number {
  if (count < max) return 0;
  return Math.min(ATTEMPT_WINDOW_MS, 30_000 * 2 ** Math.min(10, count - max));
}

/** True while this email from this address, this address, or this email waits out its delay. */
export async function signInBlocked(c: PageContext, email: string, now = new Date()): Promise<boolean> {
  const db = getDb(c.env);
  for (const [key, max] of attemptKeys(c, email)) {
    const row = await db.select().from(signInAttempts).where(eq(signInAttempts.key, key)).get();
    if (!row?.lastFailureAt) continue;
    if (now.getTime() < new Date(row.lastFailureAt).getTime() + signInDelayMs(row.count, max)) return true;
  }
  return false;
}

export async function recordFailure(c: PageContext, email: string, now = new Date()) {
  const quiet = new Date(now.getTime() - ATTEMPT_WINDOW_MS).toISOString();
  const stmts = attemptKeys(c, email).map(([key]) =>
    c.env.DB.prepare(
      `INSERT INTO sign_in_attempts (key, window_start, count, last_failure_at) VALUES (?1, ?2, 1, ?2)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN coalesce(last_failure_at, window_start) < ?3 THEN 1 ELSE count + 1 END,
         window_start = CASE WHEN coalesce(last_failure_at, window_start) < ?3 THEN ?2 ELSE window_start END,
         last_failure_at = ?2`,
    ).bind(key, now.toISOString(), quiet),
  );
  await c.env.DB.batch(stmts);
}

/** A successful sign-in clears the counts of this email (from here and in all). */
export async function clearFailures(c: PageContext, email: string) {
  await getDb(c.env)
    .delete(signInAttempts)
    .where(inArray(signInAttempts.key, [`email-ip:${email}|${clientIp(c)}`, `email:${email}`]));
}
