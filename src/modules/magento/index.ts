import { isObj } from "../order-json";
import { texts } from "./texts";
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
  labels: texts.labels,
  delivery: "poll",
  behaviour: { ...magentoAdapter, client: magentoClient, ...magentoRefundReading, refundCount: (raw) => (isObj(raw) && Number(raw.total_refunded ?? 0) > 0 ? 1 : 0) },
  stateNames: texts.stateNames,
};
