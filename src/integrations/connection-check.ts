/**
 * Before activation both sides are read for real: one page of the shop's orders and the accounting
 * system's master data (the same session a transfer opens). A dead shop URL or a refused credential
 * is told before the first order fails, with the side and the category of the failure.
 */
import { TransferError } from "../domain/errors";
import { shopAdapters } from "../modules/adapters";
import type { ShopContext } from "../modules/types";
import type { Integration } from "./store";

export interface SideFailure {
  side: "shop" | "accounting";
  category: string;
  message: string;
}

/** What the check uses of a batch context (the transfers' TransferContext). */
export interface CheckContext {
  shopSettings(row: Integration): Promise<Record<string, unknown>>;
  shopContext(row: Integration, settings: Record<string, unknown>, maxWaitMs?: number): ShopContext;
  /** Opens the accounting session, reading the master data as a transfer does. */
  session(row: Integration): Promise<unknown>;
}

export async function checkConnections(row: Integration, ctx: CheckContext): Promise<SideFailure[]> {
  const failures: SideFailure[] = [];
  const failed = (side: SideFailure["side"], e: unknown) => {
    const err = e instanceof TransferError ? e : new TransferError(side === "shop" ? "shop_unavailable" : "accounting_unavailable", String(e));
    failures.push({ side, category: err.category, message: err.message });
  };
  const client = shopAdapters[row.shopModule]?.client;
  if (client) {
    try {
      const shop = client(ctx.shopContext(row, await ctx.shopSettings(row), 5000));
      await shop.listOrders({ by: "updated", from: new Date(Date.now() - 86_400_000).toISOString(), pageSize: 1 });
    } catch (e) {
      failed("shop", e);
    }
  }
  try {
    await ctx.session(row);
  } catch (e) {
    failed("accounting", e);
  }
  return failures;
}
