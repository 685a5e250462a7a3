import { magentoClient } from "./client";
import { magentoAdapter } from "./mapper";
import { magentoSettings } from "./settings";
import type { ShopModule } from "../types";

export const magento: ShopModule = {
  id: "magento",
  side: "shop",
  name: "Magento 2",
  settings: magentoSettings,
  delivery: "poll",
  behaviour: { ...magentoAdapter, client: magentoClient },
};
