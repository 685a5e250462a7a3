import { z } from "zod";
import { coreSettings, orderStates, secret, shopUrl } from "../settings";

export const magentoSettings = z.strictObject({
  baseUrl: shopUrl(),
  accessToken: secret(),
  allowedStatuses: orderStates(["pending", "pending_payment", "payment_review", "processing", "complete", "closed", "canceled", "holded", "fraud"], ["processing", "complete"]),
  /** R24: the document in the base currency (base_* amounts, default) or the order currency (order_* amounts). */
  documentCurrency: coreSettings.documentCurrency(),
});
