/** The e-conomic agreement's bucket is the generic limiter (src/lib/rate-limiter.ts) with e-conomic's limits. */
export { AgreementRateLimiter } from "../../lib/rate-limiter";
