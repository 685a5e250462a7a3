/**
 * A token bucket (pure): e-conomic allows a burst of 2,000 requests per agreement and refills 30 tokens
 * a second. Callers take tokens before each request; when the bucket is short they learn how long to wait,
 * so the live flow and imports together stay under the limit instead of collecting 429s.
 */
export interface Bucket {
  tokens: number;
  /** Epoch milliseconds of the last refill. */
  at: number;
}

export interface BucketLimits {
  capacity: number;
  refillPerSecond: number;
}


export function refill(b: Bucket, now: number, l: BucketLimits): Bucket {
  const elapsed = Math.max(0, now - b.at);
  return { tokens: Math.min(l.capacity, b.tokens + (elapsed * l.refillPerSecond) / 1000), at: Math.max(b.at, now) };
}

/**
 * Takes `n` tokens. When enough are there: granted at once. Otherwise, when the wait is at most `maxWaitMs`,
 * the tokens are reserved (the bucket goes below zero, so later callers queue behind) and the caller waits
 * `waitMs`; a longer wait is refused and nothing is taken.
 */
export function take(b: Bucket, n: number, now: number, l: BucketLimits, maxWaitMs: number): { bucket: Bucket; waitMs: number; granted: boolean } {
  const full = refill(b, now, l);
  const short = n - full.tokens;
  const waitMs = short <= 0 ? 0 : Math.ceil((short * 1000) / l.refillPerSecond);
  if (waitMs > maxWaitMs) return { bucket: full, waitMs, granted: false };
  return { bucket: { tokens: full.tokens - n, at: full.at }, waitMs, granted: true };
}
