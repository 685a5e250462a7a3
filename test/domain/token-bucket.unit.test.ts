import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { take, type Bucket } from "../../src/domain/token-bucket";
import { ECONOMIC_LIMITS } from "../../src/modules/economic/adapter";

const L = ECONOMIC_LIMITS;

describe("token bucket (e-conomic: 2,000 burst, 30/s refill)", () => {
  it("grants the burst at once, then paces at the refill rate", () => {
    let b: Bucket = { tokens: 2000, at: 0 };
    for (let i = 0; i < 2000; i++) {
      const r = take(b, 1, 0, L, 10_000);
      expect(r.waitMs).toBe(0);
      b = r.bucket;
    }
    const next = take(b, 1, 0, L, 10_000);
    expect(next).toMatchObject({ granted: true, waitMs: 34 }); // ⌈1000/30⌉
    const after = take(next.bucket, 1, 0, L, 10_000);
    expect(after.waitMs).toBe(67); // queued behind the first
    // One second later 30 tokens are back (minus the two reserved).
    expect(take(after.bucket, 28, 1000, L, 0)).toMatchObject({ granted: true, waitMs: 0 });
  });

  it("refuses a wait longer than allowed and takes nothing", () => {
    const b: Bucket = { tokens: 0, at: 0 };
    const r = take(b, 400, 0, L, 10_000);
    expect(r.granted).toBe(false);
    expect(r.waitMs).toBe(13334);
    expect(r.bucket.tokens).toBe(0);
  });

  it("never fills above the burst", () => {
    expect(take({ tokens: 1990, at: 0 }, 0, 3_600_000, L, 0).bucket.tokens).toBe(2000);
  });

  it("the agreement's Durable Object is shared: every caller draws from one bucket", async () => {
    const name = `economic:${crypto.randomUUID()}`;
    const a = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));
    const b = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));
    expect(await a.take(1999, 0, L)).toEqual({ waitMs: 0, granted: true });
    expect((await b.take(1, 0, L)).granted).toBe(true);
    const third = await a.take(30, 0, L);
    expect(third.granted).toBe(false);
    expect(third.waitMs).toBeGreaterThan(900);
  });
});
