import type { Db } from "./client";
import { auditLog } from "./schema";

/** Who did what to which target: one row of the audit log. */
export interface AuditEntry {
  /** `staff key id`, `user:<id>`, `system`, or the external system that asked (e.g. `shopify`). */
  actor: string;
  action: string;
  target: { type: string; id?: string | null; tenantId?: string | null };
  details?: Record<string, unknown> | null;
}

/** The one way to write the audit log; a statement, so callers batch it with the write it records. */
export function audit(db: Db, e: AuditEntry) {
  return db.insert(auditLog).values({
    actor: e.actor,
    action: e.action,
    targetType: e.target.type,
    targetId: e.target.id ?? null,
    tenantId: e.target.tenantId ?? null,
    details: e.details ?? null,
  });
}
