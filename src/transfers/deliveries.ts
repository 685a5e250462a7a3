import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { deliveries } from "../db/schema";

export interface DeliveryRecord {
  id: string;
  integrationId: string;
  dedupeKey: string;
  topic: string;
  status: "accepted" | "unreadable";
  body: string | null;
  receivedAt: string;
}

/**
 * Records a webhook delivery under its stable dedupe key. Returns true when this delivery owns the key
 * (first seen, or a retry of the same delivery), false for a duplicate of another delivery.
 */
export async function claimDelivery(db: Db, d: DeliveryRecord): Promise<boolean> {
  const inserted = await db.insert(deliveries).values(d).onConflictDoNothing().returning({ id: deliveries.id }).get();
  if (inserted) return true;
  const owner = await db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(and(eq(deliveries.integrationId, d.integrationId), eq(deliveries.dedupeKey, d.dedupeKey)))
    .get();
  return owner?.id === d.id;
}
