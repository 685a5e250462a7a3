import type { Context } from "hono";
import { audit } from "../db/audit";
import { getDb } from "../db/client";
import type { AppEnv } from "../http/types";

/** The audit row of a staff write; returned as a statement so callers batch it with the write itself. */
export function auditStatement(
  c: Context<AppEnv>,
  action: string,
  target: { type: string; id?: string | null; tenantId?: string | null },
  details?: Record<string, unknown>,
) {
  return audit(getDb(c.env), { actor: c.get("staff")?.id ?? "system", action, target, details });
}
