import { z } from "zod";
import { orderStates, secret, shopUrl } from "../settings";

export const woocommerceSettings = z.strictObject({
  siteUrl: shopUrl(),
  consumerKey: secret(),
  consumerSecret: secret(),
  webhookSecret: secret(),
  previousWebhookSecret: secret().optional(),
  allowedStatuses: orderStates(["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft"], ["processing", "completed", "refunded"]),
});
