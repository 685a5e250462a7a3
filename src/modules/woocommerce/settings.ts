import { z } from "zod";
import { secret, shopUrl } from "../settings";

export const woocommerceSettings = z.strictObject({
  siteUrl: shopUrl(),
  consumerKey: secret(),
  consumerSecret: secret(),
  webhookSecret: secret(),
  previousWebhookSecret: secret().optional(),
  allowedStatuses: z.array(z.string().min(1).max(50)).max(20).default(["processing", "completed", "refunded"]),
});
