/**
 * The one place the transfer path reports a transferred order to the tenant's quota (R9).
 * The charge key is (integration, shop order id, generation): the same key charged twice counts once;
 * "transfer again" (R8) bumps the generation, so its new document counts again.
 */
export interface ChargeRequest {
  tenantId: string;
  integrationId: string;
  shopOrderId: string;
  generation: number;
  documentNumber: string;
  /** When the accounting system confirmed the document (UTC); picks the Copenhagen month (R10). */
  at: string;
  importId?: string | null;
}

export type ChargeSource = "included" | "topUp" | "extra";

export interface ChargeResult {
  source: ChargeSource;
  month: string;
  /** True when this key was charged before (nothing counted again). */
  duplicate: boolean;
}

export async function chargeOrder(env: Env, req: ChargeRequest): Promise<ChargeResult> {
  const stub = env.ACCOUNT.get(env.ACCOUNT.idFromName(req.tenantId));
  return (stub as unknown as { charge(r: ChargeRequest): Promise<ChargeResult> }).charge(req);
}
