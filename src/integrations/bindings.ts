import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { bindings } from "../db/schema";

/** A binding table per integration and kind: our key (an email) → the external system's id. */
export interface Bindings {
  get(key: string): Promise<string | undefined>;
  put(key: string, externalId: string): Promise<void>;
  forget(key: string): Promise<void>;
}

export function bindingStore(db: Db, integrationId: string, kind: string): Bindings {
  const where = (key: string) => and(eq(bindings.integrationId, integrationId), eq(bindings.kind, kind), eq(bindings.externalKey, key));
  return {
    async get(key) {
      return (await db.select({ id: bindings.externalId }).from(bindings).where(where(key)).get())?.id;
    },
    async forget(key) {
      await db.delete(bindings).where(where(key));
    },
    async put(key, externalId) {
      await db
        .insert(bindings)
        .values({ integrationId, kind, externalKey: key, externalId })
        .onConflictDoUpdate({ target: [bindings.integrationId, bindings.kind, bindings.externalKey], set: { externalId, updatedAt: new Date().toISOString() } });
    },
  };
}
