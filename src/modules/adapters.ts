import { economicAdapter } from "./economic/adapter";
import { magentoAdapter } from "./magento/mapper";
import { sandboxAccountingAdapter } from "./sandbox/accounting";
import { sandboxShopAdapter } from "./sandbox/shop";
import { shopifyAdapter } from "./shopify/mapper";
import type { AccountingAdapter, ShopAdapter } from "./types";
import { woocommerceAdapter } from "./woocommerce/mapper";

/** The behaviour of each registered module (settings live in registry.ts). */
export const shopAdapters: Record<string, ShopAdapter> = {
  shopify: shopifyAdapter,
  woocommerce: woocommerceAdapter,
  magento: magentoAdapter,
  sandbox: sandboxShopAdapter,
};

export const accountingAdapters: Record<string, AccountingAdapter> = {
  economic: economicAdapter,
  sandbox: sandboxAccountingAdapter,
};
