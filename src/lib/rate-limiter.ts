import { DurableObject } from "cloudflare:workers";
import { ECONOMIC_LIMITS, take, type Bucket, type BucketLimits } from "../domain/token-bucket";

/**
 * One token bucket per external account, shared by every Worker that calls it (live transfers, polls,
 * sweeps, imports, staff calls). The object is named `<system>:<account>` and the limits come from the
 * module that calls (e-conomic: 2,000 burst, 30/s per agreement; Shopify: 2,000 points, 100/s per shop).
 * The bucket lives in memory; after an eviction it starts full again, which the system's own bucket
 * would also be after the same quiet time.
 */
export class AgreementRateLimiter extends DurableObject<Env> {
  private bucket: Bucket | null = null;

  /** Takes `n` tokens, waiting at most `maxWaitMs` (see token-bucket.ts); e-conomic's limits unless told. */
  take(n: number, maxWaitMs: number, limits: BucketLimits = ECONOMIC_LIMITS): { waitMs: number; granted: boolean } {
    const now = Date.now();
    const r = take(this.bucket ?? { tokens: limits.capacity, at: now }, n, now, limits, maxWaitMs);
    this.bucket = r.bucket;
    return { waitMs: r.waitMs, granted: r.granted };
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes `n` from the shared bucket `key` and waits for it in place when the wait is at most `maxWaitMs`.
 * Returns 0 when the caller may go on, else the seconds to come back after (nothing was taken).
 */
export async function spendBudget(env: Pick<Env, "RATE_LIMITER">, key: string, n: number, limits: BucketLimits, maxWaitMs: number): Promise<number> {
  const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key));
  const { waitMs, granted } = await limiter.take(n, maxWaitMs, limits);
  if (!granted) return Math.max(1, Math.ceil(waitMs / 1000));
  if (waitMs > 0) await sleep(waitMs);
  return 0;
}
