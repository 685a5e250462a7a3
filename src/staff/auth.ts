import { and, eq, isNull } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { getDb } from "../db/client";
import { staffKeys } from "../db/schema";
import { safeEqual, sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "../http/types";

export const SCOPES = ["read", "tenants:write", "integrations:write", "imports:write", "keys:write"] as const;
export type Scope = (typeof SCOPES)[number];

/** Bearer auth: the bootstrap token (every scope) or a minted key, looked up by its SHA-256 hash. */
export const staffAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const m = header.match(/^Bearer\s+(\S+)$/i);
  if (!m) throw new ApiError(401, "unauthorized", "A bearer token is required");
  const token = m[1];
  const bootstrap = c.env.STAFF_BOOTSTRAP_TOKEN;
  if (bootstrap && (await safeEqual(token, bootstrap))) {
    c.set("staff", { id: "bootstrap", scopes: [...SCOPES] });
    return next();
  }
  const hash = await sha256Hex(token);
  const key = await getDb(c.env)
    .select()
    .from(staffKeys)
    .where(and(eq(staffKeys.tokenHash, hash), isNull(staffKeys.revokedAt)))
    .get();
  if (!key || !(await safeEqual(key.tokenHash, hash))) throw new ApiError(401, "unauthorized", "The token is not valid");
  c.set("staff", { id: key.id, scopes: key.scopes });
  await next();
});

/** A write scope includes `read`. */
export function hasScope(scopes: string[], needed: Scope) {
  return scopes.includes(needed) || (needed === "read" && scopes.some((s) => s.endsWith(":write")));
}

export const requireScope = (needed: Scope) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (!hasScope(c.get("staff").scopes, needed)) throw new ApiError(403, "forbidden", `This key lacks the "${needed}" scope`);
    await next();
  });
