import { refundsListed } from "../order-json";
import { woocommerce } from "../woocommerce";
import { embeddedRefundReading } from "../woocommerce/refunds";
import { sandboxAccountingAdapter } from "./accounting";
import { sandboxAccountingSettings, sandboxShopSettings } from "./settings";
import { createSandboxOrder, refundSandboxOrder, sandboxShopAdapter, sandboxShopClient } from "./shop";
import type { AccountingModule, ShopModule } from "../types";

/** The sandbox shop: demo orders made by a staff call, polled like a shop without webhooks. */
export const sandboxShop: ShopModule = {
  id: "sandbox",
  side: "shop",
  name: "Sandbox shop",
  settings: sandboxShopSettings,
  delivery: "poll",
  behaviour: { ...sandboxShopAdapter, client: sandboxShopClient, ...embeddedRefundReading, refundCount: refundsListed },
  // Its orders are WooCommerce orders, in WooCommerce's words.
  stateNames: woocommerce.stateNames,
  demo: { createOrder: createSandboxOrder, refundOrder: refundSandboxOrder },
};

/** The sandbox books: documents kept in D1, for trying orderbridge without an accounting system. */
export const sandboxAccounting: AccountingModule = {
  id: "sandbox",
  side: "accounting",
  name: "Sandbox accounting",
  settings: sandboxAccountingSettings,
  behaviour: sandboxAccountingAdapter,
};
