import { billyAdapter } from "./billy/adapter";
import { dineroAdapter } from "./dinero/adapter";
import { economicAdapter } from "./economic/adapter";
import { magentoClient } from "./magento/client";
import { magentoAdapter } from "./magento/mapper";
import { sandboxAccountingAdapter } from "./sandbox/accounting";
import { sandboxShopAdapter, sandboxShopClient } from "./sandbox/shop";
import { shopifyClient } from "./shopify/client";
import { shopifyAdapter } from "./shopify/mapper";
import type { AccountingAdapter, ShopAdapter } from "./types";
import { woocommerceClient } from "./woocommerce/client";
import { woocommerceAdapter } from "./woocommerce/mapper";

/** The behaviour of each registered module (settings live in registry.ts). */
export const shopAdapters: Record<string, ShopAdapter> = {
  shopify: { ...shopifyAdapter, client: shopifyClient },
  woocommerce: { ...woocommerceAdapter, client: woocommerceClient },
  magento: { ...magentoAdapter, client: magentoClient },
  sandbox: { ...sandboxShopAdapter, client: sandboxShopClient },
};

export const accountingAdapters: Record<string, AccountingAdapter> = {
  economic: economicAdapter,
  billy: billyAdapter,
  dinero: dineroAdapter,
  sandbox: sandboxAccountingAdapter,
};
