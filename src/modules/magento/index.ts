import { magentoClient } from "./client";
import { magentoAdapter } from "./mapper";
import { magentoRefundReading } from "./refunds";
import { magentoSettings } from "./settings";
import type { ShopModule } from "../types";

export const magento: ShopModule = {
  id: "magento",
  side: "shop",
  name: "Magento 2",
  settings: magentoSettings,
  delivery: "poll",
  behaviour: { ...magentoAdapter, client: magentoClient, ...magentoRefundReading },
  stateNames: {
    da: { pending: "Afventer", pending_payment: "Afventer betaling", payment_review: "Betaling gennemgås", processing: "Behandles", complete: "Fuldført", closed: "Lukket", canceled: "Annulleret", holded: "På hold", fraud: "Mistanke om svindel" },
    en: { pending: "Pending", pending_payment: "Pending payment", payment_review: "Payment review", processing: "Processing", complete: "Complete", closed: "Closed", canceled: "Canceled", holded: "On hold", fraud: "Suspected fraud" },
  },
};
