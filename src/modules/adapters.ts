import { billyAdapter } from "./billy/adapter";
import { dineroAdapter } from "./dinero/adapter";
import { economicAdapter } from "./economic/adapter";
import { magentoClient } from "./magento/client";
import { magentoAdapter } from "./magento/mapper";
import { sandboxAccountingAdapter } from "./sandbox/accounting";
import { sandboxShopAdapter, sandboxShopClient } from "./sandbox/shop";
import { shopifyClient } from "./shopify/client";
import { shopifyAdapter } from "./shopify/mapper";
import { shopifyRefundReading } from "./shopify/refunds";
import type { AccountingAdapter, ShopAdapter } from "./types";
import { woocommerceClient } from "./woocommerce/client";
import { woocommerceAdapter } from "./woocommerce/mapper";
import { embeddedRefundReading, woocommerceRefundReading } from "./woocommerce/refunds";

/** The behaviour of each registered module (settings live in registry.ts). */
export const shopAdapters: Record<string, ShopAdapter> = {
  shopify: { ...shopifyAdapter, client: shopifyClient, ...shopifyRefundReading },
  woocommerce: { ...woocommerceAdapter, client: woocommerceClient, ...woocommerceRefundReading },
  magento: { ...magentoAdapter, client: magentoClient },
  sandbox: { ...sandboxShopAdapter, client: sandboxShopClient, ...embeddedRefundReading },
};

export const accountingAdapters: Record<string, AccountingAdapter> = {
  economic: economicAdapter,
  billy: billyAdapter,
  dinero: dineroAdapter,
  sandbox: sandboxAccountingAdapter,
};
