/**
 * The outbox of notifications (R25): every message is recorded under a stable key (kind + incident or
 * day + recipient) before it is sent, with insert-or-ignore, so a retried queue message or cron run never
 * records, nor sends, it twice. A send takes the row by compare-and-set first; a failed send shows
 * `failed` and is retried with backoff by the cron.
 */
import { and, desc, eq, inArray, isNull, lt, lte, or, sql, type SQL } from "drizzle-orm";
import { getDb, type Db } from "../db/client";
import { notifications, tenants, users } from "../db/schema";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { newId } from "../lib/ids";
import type { Lang } from "../words/i18n";
import { renderMail } from "./render";
import { fromAddress, senderFor, type NotifyEnv } from "./sender";
import type { Content, Kind } from "./texts";
import { KINDS } from "./texts";

export type OutboxRow = typeof notifications.$inferSelect;

/** A send holds its row this long; a crashed sender's row is taken again after it. */
const SEND_LEASE_SECONDS = 120;
/** After this many failed sends the row stays `failed` and is not tried again. */
export const MAX_SEND_ATTEMPTS = 10;
/** Rows the cron retries per run. */
const RETRY_BATCH = 50;

/** Owners get every kind until they choose; members the daily digest only (api.md "Notifications"). */
export function kindsOf(user: { role: "owner" | "member"; notifications: string[] | null }): Kind[] {
  if (user.notifications) return user.notifications.filter((k): k is Kind => (KINDS as readonly string[]).includes(k));
  return user.role === "owner" ? [...KINDS] : ["failed_orders_digest"];
}

/** The tenant's users (not removed) who receive this kind. */
export async function recipients(db: Db, tenantId: string, kind: Kind) {
  const rows = await db
    .select({ id: users.id, email: users.email, role: users.role, notifications: users.notifications, language: users.language })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), isNull(users.removedAt)))
    .all();
  return rows.filter((u) => kindsOf(u).includes(kind)).map((u) => ({ ...u, lang: (u.language ?? "da") as Lang }));
}

export interface Notice {
  kind: Kind;
  tenantId: string;
  /** The incident or day, without the recipient: `accounting_auth_failed:int_…:1`. */
  key: string;
  integrationId?: string | null;
  importId?: string | null;
  content(lang: Lang): Content;
}

/** Records the notice once per recipient (insert-or-ignore on the key); returns the keys to send. */
export async function record(env: NotifyEnv, notices: Notice[], now = new Date()): Promise<string[]> {
  const db = getDb(env);
  const at = now.toISOString();
  const keys: string[] = [];
  const statements = [];
  const tenantNames = new Map<string, string>();
  for (const n of notices) {
    const to = await recipients(db, n.tenantId, n.kind);
    if (!to.length) continue;
    if (!tenantNames.has(n.tenantId)) tenantNames.set(n.tenantId, (await db.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, n.tenantId)).get())?.name ?? "");
    for (const u of to) {
      const content = n.content(u.lang);
      const { text, html } = renderMail(content, u.lang, env.PUBLIC_URL, tenantNames.get(n.tenantId)!);
      const key = `${n.key}:${u.id}`;
      keys.push(key);
      statements.push(
        db
          .insert(notifications)
          .values({
            id: newId("ntf"),
            key,
            tenantId: n.tenantId,
            kind: n.kind,
            userId: u.id,
            toAddress: u.email,
            lang: u.lang,
            subject: content.subject,
            textBody: text,
            htmlBody: html,
            integrationId: n.integrationId ?? null,
            importId: n.importId ?? null,
            status: "pending",
            nextAttemptAt: at,
            createdAt: at,
          })
          .onConflictDoNothing({ target: notifications.key }),
      );
    }
  }
  // One atomic batch: either every recipient's row is recorded or none (a retry records them all).
  if (statements.length) await db.batch(statements as [(typeof statements)[0], ...typeof statements]);
  return keys;
}

/** Takes a due row for one send (pending or failed and due, or a send whose lease ran out); null otherwise. */
async function claim(db: Db, where: SQL, now: Date) {
  const at = now.toISOString();
  return db
    .update(notifications)
    .set({ status: "sending", leaseUntil: new Date(now.getTime() + SEND_LEASE_SECONDS * 1000).toISOString(), attempts: sql`${notifications.attempts} + 1` })
    .where(
      and(
        where,
        or(
          and(inArray(notifications.status, ["pending", "failed"]), lte(notifications.nextAttemptAt, at)),
          and(eq(notifications.status, "sending"), lt(notifications.leaseUntil, at)),
        ),
      ),
    )
    .returning()
    .get();
}

/** Minutes between tries: 1, 2, 4 … at most 6 hours (the cron runs every 5 minutes). */
export function retryDelaySeconds(attempts: number) {
  return Math.min(6 * 3600, 60 * 2 ** Math.max(0, attempts - 1));
}

/** Sends one claimed row and records the outcome. */
async function sendRow(env: NotifyEnv, db: Db, row: OutboxRow, now: Date) {
  try {
    const result = await senderFor(env).send({ from: fromAddress(env), to: row.toAddress, subject: row.subject, text: row.textBody, html: row.htmlBody });
    await db
      .update(notifications)
      .set({ status: "sent", sentAt: new Date().toISOString(), messageId: result.messageId ?? null, leaseUntil: null, lastError: null, nextAttemptAt: null })
      .where(eq(notifications.id, row.id));
    return true;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const again = row.attempts < MAX_SEND_ATTEMPTS ? new Date(now.getTime() + retryDelaySeconds(row.attempts) * 1000).toISOString() : null;
    await db.update(notifications).set({ status: "failed", lastError: message.slice(0, 500), leaseUntil: null, nextAttemptAt: again }).where(eq(notifications.id, row.id));
    console.warn("notification not sent", row.kind, row.id, message);
    return false;
  }
}

/** Sends the rows of these keys that are due (normally: just recorded). */
export async function deliver(env: NotifyEnv, keys: string[], now = new Date()) {
  const db = getDb(env);
  let sent = 0;
  for (const key of keys) {
    const row = await claim(db, eq(notifications.key, key), now);
    if (row && (await sendRow(env, db, row, now))) sent++;
  }
  return sent;
}

/** Records and sends (the usual path). */
export async function notify(env: NotifyEnv, notices: Notice[], now = new Date()) {
  return deliver(env, await record(env, notices, now), now);
}

/** The cron's retry of failed (or stranded) sends whose backoff is over. */
export async function retryDue(env: NotifyEnv, now = new Date()) {
  const db = getDb(env);
  const at = now.toISOString();
  const due = await db
    .select({ id: notifications.id })
    .from(notifications)
    .where(
      or(
        and(inArray(notifications.status, ["pending", "failed"]), lte(notifications.nextAttemptAt, at)),
        and(eq(notifications.status, "sending"), lt(notifications.leaseUntil, at)),
      ),
    )
    .limit(RETRY_BATCH)
    .all();
  let sent = 0;
  for (const { id } of due) {
    const row = await claim(db, eq(notifications.id, id), now);
    if (row && (await sendRow(env, db, row, now))) sent++;
  }
  return { retried: due.length, sent };
}

// ---- the staff list ----

/** The tenant's outbox, newest first. `status` is `sent` or `failed` (not sent yet, with when it is tried again). */
export async function listOutbox(db: Db, tenantId: string, limit: number, cursor?: string) {
  const conds = [eq(notifications.tenantId, tenantId)];
  if (cursor) {
    const [at, id] = decodeCursor(cursor);
    conds.push(or(lt(notifications.createdAt, at), and(eq(notifications.createdAt, at), lt(notifications.id, id)))!);
  }
  const rows = await db
    .select()
    .from(notifications)
    .where(and(...conds))
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(limit + 1)
    .all();
  const page = rows.slice(0, limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      kind: r.kind,
      to: r.toAddress,
      subject: r.subject,
      status: r.status === "sent" ? ("sent" as const) : ("failed" as const),
      ...(r.integrationId ? { integrationId: r.integrationId } : {}),
      ...(r.importId ? { importId: r.importId } : {}),
      createdAt: r.createdAt,
      ...(r.sentAt ? { sentAt: r.sentAt } : {}),
      attempts: r.attempts,
      ...(r.status !== "sent" ? { error: r.lastError, nextAttemptAt: r.nextAttemptAt } : {}),
    })),
    nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].createdAt, page[page.length - 1].id) : null,
  };
}
