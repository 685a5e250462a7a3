import { DurableObject } from "cloudflare:workers";
import { TransferError } from "../../domain/errors";
import { ECONOMIC_LIMITS, take, type Bucket } from "../../domain/token-bucket";
import { sha256Hex } from "../../lib/crypto";

/**
 * One per e-conomic agreement (named by a hash of the grant token): the token bucket that every Worker
 * sending to that agreement shares, live transfers and imports alike. The bucket lives in memory; after an
 * eviction it starts full again, which e-conomic's own bucket would also be after the same quiet time.
 */
export class AgreementRateLimiter extends DurableObject<Env> {
  private bucket: Bucket | null = null;

  take(n: number, maxWaitMs: number): { waitMs: number; granted: boolean } {
    const now = Date.now();
    const r = take(this.bucket ?? { tokens: ECONOMIC_LIMITS.capacity, at: now }, n, now, ECONOMIC_LIMITS, maxWaitMs);
    this.bucket = r.bucket;
    return { waitMs: r.waitMs, granted: r.granted };
  }
}

/** Longest a request waits for the shared budget in the consumer; beyond it the message is retried later. */
const MAX_BUDGET_WAIT_MS = 10_000;

/**
 * The shared budget of one credential (`<system>:<hash of the credential>`), for live transfers and
 * imports alike: before each request, wait for a token, or throw accounting_unavailable to retry later.
 */
export async function sharedBudget(env: Env, system: string, credential: string, systemName: string) {
  const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`${system}:${await sha256Hex(credential)}`));
  return async () => {
    const { waitMs, granted } = await limiter.take(1, MAX_BUDGET_WAIT_MS);
    if (!granted)
      throw new TransferError("accounting_unavailable", `The ${systemName} request budget of this account is used up for now; the transfer is retried automatically`, {
        retryAfterSeconds: Math.ceil(waitMs / 1000),
      });
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
  };
}
