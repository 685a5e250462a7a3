/**
 * Shopify's expiring offline tokens (reference-wave2 §4): an access token lasts about an hour and comes with
 * a refresh token that Shopify replaces at every refresh (single use). The access token is renewed a few
 * minutes before it runs out (`POST {shop}/admin/oauth/access_token`, grant_type=refresh_token), never per
 * order: a session keeps the token it has while it is fresh.
 *
 * Single-flight across workers: the renewer first takes a short lease in D1 (one row in accounting_cache),
 * so of two workers refreshing at once one calls Shopify and the other waits for what it stores. Should two
 * refreshes still cross (a lease that ran out), the one Shopify refuses takes the token the other stored.
 * The new pair is stored encrypted with the integration's other secrets, only over the pair it replaced.
 * A refused refresh (app uninstalled, access revoked) sets needs_reconnect and stops the calls.
 */
import { and, eq, lt } from "drizzle-orm";
import { getDb } from "../../db/client";
import { accountingCache } from "../../db/schema";
import { TransferError } from "../../domain/errors";
import type { ShopContext, StoredShopCredentials } from "../types";

/** A token is renewed this long before it runs out. */
export const SHOPIFY_REFRESH_MARGIN_MS = 5 * 60_000;
/** How long one refresh may hold the lease. */
const LEASE_MS = 30_000;
/** How often, and how far apart, a worker without the lease looks for the token the other one stores. */
const WAIT_READS = 25;
const WAIT_MS = 200;
const LEASE_KIND = "shopify:token-refresh";

const RECONNECT_HINT = "Tryk på Forbind igen ved Shopify på integrationens side. / Press Reconnect for Shopify on the integration's page.";

type Tokens = { accessToken: string; refreshToken?: string; accessTokenExpiresAt?: string };

const fresh = (s: Record<string, unknown>, now: number) =>
  typeof s.accessTokenExpiresAt !== "string" || Date.parse(s.accessTokenExpiresAt) - now > SHOPIFY_REFRESH_MARGIN_MS;

const needsReconnect = () =>
  new TransferError("shop_unavailable", "Shopify no longer accepts orderbridge's access to this shop (the app was uninstalled or its access revoked).", { hint: RECONNECT_HINT });

/**
 * The access token to send: a typed one (custom app) or a fresh expiring one as it is; one about to run
 * out is renewed first, and `ctx.settings` takes the new pair so the rest of the session reuses it.
 */
export async function shopifyAccessToken(ctx: ShopContext, now: () => number = ctx.now ?? Date.now): Promise<string> {
  const s = ctx.settings;
  if (!s.refreshToken || fresh(s, now())) return String(s.accessToken);
  const tokens = await renew(ctx, now);
  Object.assign(ctx.settings, tokens);
  return tokens.accessToken;
}

async function renew(ctx: ShopContext, now: () => number): Promise<Tokens> {
  const db = getDb(ctx.env);
  const read = async () => (await ctx.credentials?.()) ?? null;
  for (let reads = 0; ; reads++) {
    const side = await read();
    if (!side) throw new TransferError("shop_unavailable", "The integration no longer exists");
    if (side.refused) throw needsReconnect();
    const stored = side.settings as Record<string, unknown> & Tokens;
    // Another worker renewed it meanwhile (or the merchant reconnected): take what it stored.
    if (fresh(stored, now())) return pick(stored);
    if (await takeLease(db, ctx.integrationId, now())) {
      try {
        return await refreshOnce(ctx, side, read, now);
      } finally {
        await db.delete(accountingCache).where(and(eq(accountingCache.integrationId, ctx.integrationId), eq(accountingCache.kind, LEASE_KIND)));
      }
    }
    if (reads >= WAIT_READS) throw new TransferError("shop_unavailable", "Shopify's access token is being renewed by another worker; trying again shortly", { retryAfterSeconds: 5 });
    await new Promise((r) => setTimeout(r, WAIT_MS));
  }
}

const pick = (s: Tokens): Tokens => ({
  accessToken: s.accessToken,
  ...(s.refreshToken ? { refreshToken: s.refreshToken } : {}),
  ...(s.accessTokenExpiresAt ? { accessTokenExpiresAt: s.accessTokenExpiresAt } : {}),
});

/** The lease: inserted, or taken over when the holder's ran out. True when this worker holds it. */
async function takeLease(db: ReturnType<typeof getDb>, integrationId: string, now: number): Promise<boolean> {
  const at = new Date(now).toISOString();
  const stale = new Date(now - LEASE_MS).toISOString();
  const row = await db
    .insert(accountingCache)
    .values({ integrationId, kind: LEASE_KIND, data: "{}", loadedAt: at })
    .onConflictDoUpdate({ target: [accountingCache.integrationId, accountingCache.kind], set: { loadedAt: at }, setWhere: lt(accountingCache.loadedAt, stale) })
    .returning({ loadedAt: accountingCache.loadedAt })
    .get();
  return row?.loadedAt === at;
}

async function refreshOnce(ctx: ShopContext, side: StoredShopCredentials, read: () => Promise<StoredShopCredentials | null>, now: () => number): Promise<Tokens> {
  const stored = side.settings as Record<string, unknown> & Tokens;
  const app = ctx.env as Env & { SHOPIFY_API_KEY?: string; SHOPIFY_API_SECRET?: string };
  if (!app.SHOPIFY_API_KEY || !app.SHOPIFY_API_SECRET)
    throw new TransferError("shop_unavailable", "orderbridge's Shopify app (SHOPIFY_API_KEY / SHOPIFY_API_SECRET) is not configured, so the access token cannot be renewed.", { hint: "Kontakt support. / Contact support." });
  const origin = (ctx.env.SHOPIFY_ADMIN_ORIGIN || `https://${String(stored.shopDomain)}`).replace(/\/+$/, "");
  let res: Response;
  try {
    res = await ctx.fetch(`${origin}/admin/oauth/access_token`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ client_id: app.SHOPIFY_API_KEY, client_secret: app.SHOPIFY_API_SECRET, grant_type: "refresh_token", refresh_token: stored.refreshToken }),
      redirect: "manual",
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    throw new TransferError("shop_unavailable", `Shopify could not be reached to renew the access token: ${e instanceof Error ? e.message : String(e)}`);
  }
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; refresh_token?: string; expires_in?: number; error?: string };
  if (res.status === 429 || res.status >= 500) throw new TransferError("shop_unavailable", `Shopify could not renew the access token just now (${res.status})`, { retryAfterSeconds: 30 });
  const at = new Date(now());
  if (!res.ok || !body.access_token) {
    // Crossed with another refresh that used this refresh token first: its pair is the one to use.
    const current = await read();
    const theirs = current?.settings as (Record<string, unknown> & Tokens) | undefined;
    if (theirs && theirs.refreshToken !== stored.refreshToken && fresh(theirs, now())) return pick(theirs);
    // needs_reconnect, and the merchant is told at once, as for an uninstall (R25).
    await (current ?? side).refuse(at);
    throw needsReconnect();
  }
  const tokens: Tokens = {
    accessToken: body.access_token,
    refreshToken: body.refresh_token ?? stored.refreshToken,
    accessTokenExpiresAt: new Date(now() + (body.expires_in && body.expires_in > 0 ? body.expires_in : 3600) * 1000).toISOString(),
  };
  // Only over the pair this refresh replaced: a reconnect that stored a new pair meanwhile wins.
  await side.save(tokens, at.toISOString());
  return tokens;
}
