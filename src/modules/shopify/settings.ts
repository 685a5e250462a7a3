import { z } from "zod";
import { coreSettings, orderStates, secret } from "../settings";

export const shopifySettings = z.strictObject({
  shopDomain: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, "must be the shop's *.myshopify.com domain"),
  accessToken: secret(),
  webhookSecret: coreSettings.webhookSecret(),
  /** Filled in by the app install (R26): the expiring offline token's refresh token and expiry. */
  refreshToken: secret().optional(),
  accessTokenExpiresAt: z.iso.datetime().optional(),
  /** The previous webhook secret during a rotation (Shopify may sign with it for up to an hour). */
  previousWebhookSecret: secret().optional(),
  allowedFinancialStatuses: orderStates(["pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided", "expired"], ["paid", "partially_paid", "partially_refunded", "refunded"]),
  /** R24: the document in the shop's currency (shop_money, default) or the customer's (presentment_money). */
  documentCurrency: coreSettings.documentCurrency(),
});
