import { z } from "zod";
import { secret, shopUrl } from "../settings";

export const magentoSettings = z.strictObject({
  baseUrl: shopUrl(),
  accessToken: secret(),
  allowedStatuses: z.array(z.string().min(1).max(50)).max(20).default(["processing", "complete"]),
  /** R24: the document in the base currency (base_* amounts, default) or the order currency (order_* amounts). */
  documentCurrency: z.enum(["shop", "presentment"]).default("shop"),
});
