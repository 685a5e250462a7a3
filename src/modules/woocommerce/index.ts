import { refundsListed } from "../order-json";
import { texts } from "./texts";
import { woocommerceConnect } from "./connect";
import { woocommerceClient } from "./client";
import { woocommerceAdapter } from "./mapper";
import { woocommerceRefundReading } from "./refunds";
import { woocommerceSettings } from "./settings";
import { woocommerceWebhook } from "./webhook";
import type { ShopModule } from "../types";

export const woocommerce: ShopModule = {
  id: "woocommerce",
  side: "shop",
  name: "WooCommerce",
  settings: woocommerceSettings,
  labels: texts.labels,
  delivery: "webhook",
  behaviour: { ...woocommerceAdapter, client: woocommerceClient, ...woocommerceRefundReading, refundCount: refundsListed },
  webhook: woocommerceWebhook,
  stateNames: texts.stateNames,
  webhookHelp: texts.webhookHelp,
  connect: { help: texts.connectHelp, flow: woocommerceConnect },
};
