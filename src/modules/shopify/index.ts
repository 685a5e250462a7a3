import { refundsListed } from "../order-json";
import { texts } from "./texts";
import { shopifyConnect } from "./connect";
import { shopifyClient } from "./client";
import { shopifyPrivacy } from "./compliance";
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
  labels: texts.labels,
  delivery: "webhook",
  behaviour: { ...shopifyAdapter, client: shopifyClient, ...shopifyRefundReading, refundCount: refundsListed },
  webhook: shopifyWebhook,
  privacy: shopifyPrivacy,
  stateNames: texts.stateNames,
  webhookHelp: texts.webhookHelp,
  connect: { help: texts.connectHelp, filledByConnection: ["accessTokenExpiresAt"], flow: shopifyConnect },
};
