import type { Context } from "hono";
import { getDb } from "../db/client";
import { auditLog } from "../db/schema";
import type { AppEnv } from "../http/types";

/** The audit row of a staff write; returned as a statement so callers batch it with the write itself. */
export function auditStatement(
  c: Context<AppEnv>,
  action: string,
  target: { type: string; id?: string | null; tenantId?: string | null },
  details?: Record<string, unknown>,
) {
  return getDb(c.env).insert(auditLog).values({
    actor: c.get("staff")?.id ?? "system",
    action,
    targetType: target.type,
    targetId: target.id ?? null,
    tenantId: target.tenantId ?? null,
    details: details ?? null,
  });
}
