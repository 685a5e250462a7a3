import { DurableObject } from "cloudflare:workers";
import { ECONOMIC_LIMITS, take, type Bucket } from "../../domain/token-bucket";

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
