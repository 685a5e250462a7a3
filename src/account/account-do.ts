import { DurableObject } from "cloudflare:workers";

/** The tenant's account: the single writer of its usage (filled in by the quota issue). */
export class TenantAccount extends DurableObject<Env> {}
