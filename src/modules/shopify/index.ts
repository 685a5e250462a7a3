import { shopifyClient } from "./client";
import { shopifyAdapter } from "./mapper";
import { shopifyRefundReading } from "./refunds";
import { shopifySettings } from "./settings";
import { shopifyWebhook } from "./webhook";
import type { ShopModule } from "../types";

export const shopify: ShopModule = {
  id: "shopify",
  side: "shop",
  name: "Shopify",
  settings: shopifySettings,
  delivery: "webhook",
  behaviour: { ...shopifyAdapter, client: shopifyClient, ...shopifyRefundReading },
  webhook: shopifyWebhook,
};
