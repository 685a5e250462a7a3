import { and, eq, inArray } from "drizzle-orm";
import { ledger } from "../db/schema";
import type { CanonicalOrder } from "../domain/order";
import { shopAdapters } from "../modules/adapters";
import type { TransferMessage } from "./messages";
import type { TransferContext } from "./transfer";

/** D1 binds at most 100 parameters per statement. */
const IDS_PER_STATEMENT = 90;

/**
 * Before the messages of a batch are handled one by one, the accounting session of each integration sees
 * all of the batch's orders at once (AccountingSession.prefetch), so it can read what they need in one
 * call instead of one per order: new webhook deliveries (their body is in the message) and pending ledger
 * rows to transfer (imports, transfer again, the relay). Only an optimisation: whatever fails here is
 * read again, order by order, when the message is handled.
 */
export async function prefetchBatch(ctx: TransferContext, bodies: TransferMessage[]) {
  const raws = new Map<string, unknown[]>();
  const rows = new Map<string, string[]>();
  const add = <T>(m: Map<string, T[]>, k: string, v: T) => (m.get(k) ?? m.set(k, []).get(k)!).push(v);
  for (const b of bodies) {
    if (b.type === "delivery" && b.active && b.body !== undefined) {
      try {
        add(raws, b.integrationId, JSON.parse(b.body));
      } catch {
        // an unreadable body fails on its own when handled
      }
    } else if (b.type === "transfer") add(rows, b.integrationId, b.shopOrderId);
  }
  for (const id of new Set([...raws.keys(), ...rows.keys()])) {
    try {
      const integration = await ctx.integration(id);
      if (integration?.status !== "active") continue;
      const ids = rows.get(id) ?? [];
      const found = [...(raws.get(id) ?? [])];
      for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
        const pending = await ctx.db
          .select({ received: ledger.received })
          .from(ledger)
          .where(and(eq(ledger.integrationId, id), eq(ledger.status, "pending"), inArray(ledger.shopOrderId, ids.slice(i, i + IDS_PER_STATEMENT))))
          .all();
        for (const r of pending) if (r.received) found.push(JSON.parse(r.received));
      }
      if (found.length < 2) continue; // one order gains nothing from reading ahead
      const shop = shopAdapters[integration.shopModule];
      const orders: CanonicalOrder[] = [];
      const shopSettings = await ctx.shopSettings(integration);
      for (const raw of found) {
        try {
          orders.push(shop.toOrder(raw, shopSettings));
        } catch {
          // unreadable: recorded as failed when handled
        }
      }
      const session = await ctx.session(integration);
      await session.prefetch?.(orders);
    } catch (e) {
      console.warn("prefetch failed", id, e instanceof Error ? e.message : String(e));
    }
  }
}
