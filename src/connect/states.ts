/**
 * The one-time `state` of a connect flow (R26): random, single use, bound to the user and session that
 * started it, valid for 10 minutes. Only its SHA-256 is stored, so a leaked database row cannot be replayed.
 */
import { and, eq, gt, isNull } from "drizzle-orm";
import { getCookie } from "hono/cookie";
import type { Db } from "../db/client";
import { connectStates } from "../db/schema";
import { randomToken, sha256Hex } from "../lib/crypto";
import { SESSION_COOKIE, type PageContext } from "../pages/auth";

export const STATE_MINUTES = 10;

/** The hash of this request's session cookie (null without one). */
export async function sessionHash(c: PageContext): Promise<string | null> {
  const token = getCookie(c, SESSION_COOKIE);
  return token ? sha256Hex(token) : null;
}

export async function issueState(db: Db, c: PageContext, provider: string, integrationId: string, now = new Date()): Promise<string> {
  const state = randomToken(24);
  const user = c.get("user");
  await db.insert(connectStates).values({
    stateHash: await sha256Hex(state),
    provider,
    integrationId,
    tenantId: user.tenantId,
    userId: user.id,
    sessionHash: await sessionHash(c),
    expiresAt: new Date(now.getTime() + STATE_MINUTES * 60_000).toISOString(),
  });
  return state;
}

/**
 * Takes a state once: the row, if the state was issued for this provider (the module id), is unused and
 * unexpired, and (when `session` is given) belongs to that session; null otherwise. Marked used in the same
 * statement, so a second callback with the same state finds nothing.
 */
export async function takeState(db: Db, provider: string, state: unknown, session: string | null | undefined, now = new Date()) {
  if (typeof state !== "string" || state.length < 16 || state.length > 200) return null;
  const at = now.toISOString();
  const row = await db
    .update(connectStates)
    .set({ usedAt: at })
    .where(and(eq(connectStates.stateHash, await sha256Hex(state)), eq(connectStates.provider, provider), isNull(connectStates.usedAt), gt(connectStates.expiresAt, at)))
    .returning()
    .get();
  if (!row) return null;
  if (session !== undefined && row.sessionHash !== session) return null;
  return row;
}
