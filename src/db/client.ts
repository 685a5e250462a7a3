import { drizzle } from "drizzle-orm/d1";
import { meteredD1 } from "./metrics";
import * as schema from "./schema";

export type Db = ReturnType<typeof getDb>;

export function getDb(env: { DB: D1Database; BENCH_METRICS?: string }) {
  return drizzle(env.BENCH_METRICS === "true" ? meteredD1(env.DB) : env.DB, { schema });
}

export { schema };
