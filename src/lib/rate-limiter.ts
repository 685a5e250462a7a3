import { DurableObject } from "cloudflare:workers";
import { TransferError } from "../domain/errors";
import { take, type Bucket, type BucketLimits } from "../domain/token-bucket";
import { sha256Hex } from "./crypto";

/**
 * One token bucket per external account, shared by every Worker that calls it (live transfers, polls,
 * sweeps, imports, staff calls). The object is named `<system>:<account>` and the limits come from the
 * module that calls (e-conomic: 2,000 burst, 30/s per agreement; Shopify: 2,000 points, 100/s per shop).
 * The bucket lives in memory; after an eviction it starts full again, which the system's own bucket
 * would also be after the same quiet time.
 */
export class RateLimiter extends DurableObject<Env> {
  private bucket: Bucket | null = null;

  /** Takes `n` tokens, waiting at most `maxWaitMs` (see token-bucket.ts), at the calling module's limits. */
  take(n: number, maxWaitMs: number, limits: BucketLimits): { waitMs: number; granted: boolean } {
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

/** Longest a request waits for the shared budget in the consumer; beyond it the message is retried later. */
const MAX_BUDGET_WAIT_MS = 10_000;

/**
 * The shared budget of one accounting credential (`<system>:<hash of the credential>`), for live transfers
 * and imports alike, at the module's `limits`: before each request, wait for a token, or throw
 * accounting_unavailable so the queue retries later.
 */
export async function sharedBudget(env: Pick<Env, "RATE_LIMITER">, system: string, credential: string, systemName: string, limits: BucketLimits) {
  const key = `${system}:${await sha256Hex(credential)}`;
  return async () => {
    const retryAfterSeconds = await spendBudget(env, key, 1, limits, MAX_BUDGET_WAIT_MS);
    if (retryAfterSeconds)
      throw new TransferError("accounting_unavailable", `The ${systemName} request budget of this account is used up for now; the transfer is retried automatically`, { retryAfterSeconds });
  };
}
