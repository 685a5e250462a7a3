import { z } from "zod";
import { coreSettings, orderStates, secret, shopUrl } from "../settings";

export const woocommerceSettings = z.strictObject({
  siteUrl: shopUrl(),
  consumerKey: secret(),
  consumerSecret: secret(),
  webhookSecret: coreSettings.webhookSecret(),
  previousWebhookSecret: secret().optional(),
  allowedStatuses: orderStates(["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft"], ["processing", "completed", "refunded"]),
});
