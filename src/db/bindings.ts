import { and, eq, inArray } from "drizzle-orm";
import { keyChunks, type Db } from "./client";
import { accountingCache, bindings } from "./schema";

/** A binding table per integration and kind: our key (an email) → the external system's id. */
export interface Bindings {
  get(key: string): Promise<string | undefined>;
  /** Several keys in as few statements as D1 allows; keys without a binding are absent from the map. */
  getMany(keys: string[]): Promise<Map<string, string>>;
  put(key: string, externalId: string): Promise<void>;
  forget(key: string): Promise<void>;
}

/** The store modules keep their look-ups in (e-conomic customers, Billy and Dinero contacts). */
export function bindingStore(db: Db, integrationId: string, kind: string): Bindings {
  const ours = and(eq(bindings.integrationId, integrationId), eq(bindings.kind, kind));
  const where = (key: string) => and(ours, eq(bindings.externalKey, key));
  return {
    async get(key) {
      return (await db.select({ id: bindings.externalId }).from(bindings).where(where(key)).get())?.id;
    },
    async getMany(keys) {
      const found = new Map<string, string>();
      const unique = [...new Set(keys)];
      for (const chunk of keyChunks(unique)) {
        const rows = await db
          .select({ key: bindings.externalKey, id: bindings.externalId })
          .from(bindings)
          .where(and(ours, inArray(bindings.externalKey, chunk)))
          .all();
        for (const r of rows) found.set(r.key, r.id);
      }
      return found;
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

/** One cached document per integration and kind (an accounting system's master data), with the time it was read. */
export interface CacheEntry<T> {
  read(): Promise<{ data: T; loadedAt: string } | undefined>;
  write(data: T, loadedAt: string): Promise<void>;
  clear(): Promise<void>;
}

export function cacheEntry<T>(db: Db, integrationId: string, kind: string): CacheEntry<T> {
  const where = and(eq(accountingCache.integrationId, integrationId), eq(accountingCache.kind, kind));
  return {
    async read() {
      const row = await db.select().from(accountingCache).where(where).get();
      if (!row) return undefined;
      try {
        return { data: JSON.parse(row.data) as T, loadedAt: row.loadedAt };
      } catch {
        return undefined;
      }
    },
    async write(data, loadedAt) {
      const text = JSON.stringify(data);
      await db
        .insert(accountingCache)
        .values({ integrationId, kind, data: text, loadedAt })
        .onConflictDoUpdate({ target: [accountingCache.integrationId, accountingCache.kind], set: { data: text, loadedAt } });
    },
    async clear() {
      await db.delete(accountingCache).where(where);
    },
  };
}

/** The integration's own storage that a module reaches through its context (AccountingContext.store). */
export interface ModuleStore {
  /** Records the module made in the external system, by our key (customers, contacts). */
  bindings(kind: string): Bindings;
  /** Master data it keeps a while, by kind. */
  cache<T>(kind: string): CacheEntry<T>;
}

/** The module store of one integration. */
export function moduleStore(db: Db, integrationId: string): ModuleStore {
  return { bindings: (kind) => bindingStore(db, integrationId, kind), cache: <T>(kind: string) => cacheEntry<T>(db, integrationId, kind) };
}
