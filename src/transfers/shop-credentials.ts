/**
 * What a shop module may do to its integration's stored credentials (ShopContext.credentials): read the
 * shop side afresh, store renewed secrets, and report a refusal (R26).
 */
import { and, eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { integrations } from "../db/schema";
import { loadIntegration, markNeedsReconnect, mergeSettings, sideSettings, type Integration } from "../integrations/store";
import type { StoredShopCredentials } from "../modules/types";
import { shopDisconnected } from "../notify";

export function shopCredentials(env: Env, integrationId: string): () => Promise<StoredShopCredentials | null> {
  return async () => {
    const row = await loadIntegration(env, integrationId);
    if (!row) return null;
    return {
      settings: await sideSettings(env, row, "shop"),
      refused: row.shopConnection?.status === "needs_reconnect",
      async save(patch, at) {
        const merged = await mergeSettings(env, row, "shop", patch);
        await getDb(env)
          .update(integrations)
          .set({ shopSettings: merged.settings, shopSecrets: merged.secrets, updatedAt: at })
          .where(and(eq(integrations.id, row.id), row.shopSecrets === null ? undefined : eq(integrations.shopSecrets, row.shopSecrets)));
      },
      refuse: (at) => shopRefused(env, row, at),
    };
  };
}

/** The shop refused our access (app uninstalled, token refused): the side needs reconnecting and the merchant is told (R25, R26). */
export async function shopRefused(env: Env, row: Integration, at = new Date()) {
  await markNeedsReconnect(env, row, "shop", at.toISOString());
  await shopDisconnected(env, row, at);
}
