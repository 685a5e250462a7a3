import { drizzle } from "drizzle-orm/d1";
import { meteredD1 } from "./metrics";
import * as schema from "./schema";

export type Db = ReturnType<typeof getDb>;

export function getDb(env: { DB: D1Database; BENCH_METRICS?: string }) {
  return drizzle(env.BENCH_METRICS === "true" ? meteredD1(env.DB) : env.DB, { schema });
}

export { schema };

/** D1 binds at most 100 parameters per statement: lists of keys go in pieces of 90 (the rest for other conditions). */
export const KEYS_PER_STATEMENT = 90;

/** `keys` in pieces that fit one statement. */
export function keyChunks<T>(keys: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_STATEMENT) out.push(keys.slice(i, i + KEYS_PER_STATEMENT));
  return out;
}
