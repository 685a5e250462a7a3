import { z } from "zod";
import { coreSettings, orderStates } from "../settings";

/** The sandbox shop: orders live in D1 (sandbox_orders) in WooCommerce REST v3 shape, polled like Magento. */
export const sandboxShopSettings = z.strictObject({
  allowedStatuses: orderStates(["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed"], ["processing", "completed"]),
});

/** The sandbox accounting system: documents live in D1 (sandbox_documents). */
export const sandboxAccountingSettings = z.strictObject({
  documentType: coreSettings.documentType(),
  allowDraftUpdates: coreSettings.allowDraftUpdates(),
  /** R23: refunds and cancellations become credit notes. */
  creditRefunds: coreSettings.creditRefunds(),
});
