/** Invites of a tenant's users (the staff API and the settings page's users page both invite here). */
import type { Db } from "../db/client";
import { invites } from "../db/schema";
import { randomToken, sha256Hex } from "../lib/crypto";

/** How long an invite link can be used. */
const INVITE_DAYS = 7;

/** Creates an invite for a user; the link lets them choose a password on the settings page. */
export async function inviteStatements(db: Db, publicUrl: string, userId: string) {
  const token = randomToken(32);
  const expiresAt = new Date(Date.now() + INVITE_DAYS * 86400_000).toISOString();
  return {
    url: `${publicUrl.replace(/\/$/, "")}/invite/${token}`,
    statement: db.insert(invites).values({ tokenHash: await sha256Hex(token), userId, expiresAt }),
  };
}
