/**
 * The one place the transfer path reports a transferred order to the tenant's quota (R9).
 * The charge key is (integration, shop order id, generation): the same key charged twice counts once;
 * "transfer again" (R8) bumps the generation, so its new document counts again.
 */
import type { PlanTerms } from "../domain/quota";

export interface ChargeRequest {
  tenantId: string;
  integrationId: string;
  shopOrderId: string;
  generation: number;
  documentNumber: string;
  /** When the accounting system confirmed the document (UTC); picks the Copenhagen month (R10). */
  at: string;
  importId?: string | null;
  /** The tenant's plan terms, when the caller has them at hand; otherwise the account reads them from D1. */
  plan?: PlanTerms;
}

export type ChargeSource = "included" | "topUp" | "extra";

export interface ChargeResult {
  source: ChargeSource;
  month: string;
  /** True when this key was charged before (nothing counted again). */
  duplicate: boolean;
  /** Minor units billed for this order: the plan's extra-order price for `extra`, else 0. */
  price?: number;
}

/** The tenant's account Durable Object (one per tenant id). */
export function accountStub(env: Env, tenantId: string) {
  return env.ACCOUNT.get(env.ACCOUNT.idFromName(tenantId));
}

export async function chargeOrder(env: Env, req: ChargeRequest): Promise<ChargeResult> {
  const stub = env.ACCOUNT.get(env.ACCOUNT.idFromName(req.tenantId));
  return (stub as unknown as { charge(r: ChargeRequest): Promise<ChargeResult> }).charge(req);
}
