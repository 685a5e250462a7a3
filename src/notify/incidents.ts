/**
 * Incidents (R25): (kind, subject) from the first occurrence until resolved. While one is open, every
 * occurrence gives the same sequence number, so the notice's key is the same and nothing more is sent;
 * after it was resolved, the next occurrence is a new incident with the next number.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { notifyIncidents } from "../db/schema";
import type { Kind } from "./texts";

/** Opens (or finds open) the incident; its number and when it began. */
export async function openIncident(db: Db, kind: Kind, subjectId: string, at: string) {
  const row = await db
    .insert(notifyIncidents)
    .values({ kind, subjectId, seq: 1, open: 1, openedAt: at, lastSeenAt: at })
    .onConflictDoUpdate({
      target: [notifyIncidents.kind, notifyIncidents.subjectId],
      set: {
        seq: sqlCase(`"notify_incidents"."seq" + 1`, `"notify_incidents"."seq"`),
        openedAt: sqlCase(`excluded.opened_at`, `"notify_incidents"."opened_at"`),
        open: 1,
        lastSeenAt: at,
      },
    })
    .returning({ seq: notifyIncidents.seq, openedAt: notifyIncidents.openedAt })
    .get();
  return row!;
}

/** A value that depends on whether the stored incident was resolved (a new one begins) or is still open. */
const sqlCase = (whenResolved: string, whenOpen: string) => sql.raw(`CASE WHEN "notify_incidents"."open" = 0 THEN ${whenResolved} ELSE ${whenOpen} END`);

/** Resolves the incident (the credential works again, the shop is reconnected, nothing is missing …). */
export async function resolveIncident(db: Db, kind: Kind, subjectId: string) {
  await db
    .update(notifyIncidents)
    .set({ open: 0 })
    .where(and(eq(notifyIncidents.kind, kind), eq(notifyIncidents.subjectId, subjectId), eq(notifyIncidents.open, 1)));
}

export async function incidentOf(db: Db, kind: Kind, subjectId: string) {
  return db
    .select()
    .from(notifyIncidents)
    .where(and(eq(notifyIncidents.kind, kind), eq(notifyIncidents.subjectId, subjectId)))
    .get();
}
