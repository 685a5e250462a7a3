/**
 * The one list of modules. Each folder (src/modules/<id>/) describes itself in its index.ts: id, side,
 * name, settings schema, delivery, and its behaviour (mapper, API client, webhook verifier; accounting
 * adapter and rate limits). Nothing else in src/ needs to know a module by name: a new module is a folder
 * and one line here.
 */
import { billy } from "./billy";
import { dinero } from "./dinero";
import { economic } from "./economic";
import { magento } from "./magento";
import { sandboxAccounting, sandboxShop } from "./sandbox";
import { shopify } from "./shopify";
import type { AccountingModule, ModuleDescriptor, ShopModule } from "./types";
import { woocommerce } from "./woocommerce";

export const modules: ModuleDescriptor[] = [shopify, woocommerce, magento, sandboxShop, economic, billy, dinero, sandboxAccounting];

const bySide = <M extends ModuleDescriptor>(side: M["side"]) => Object.fromEntries(modules.filter((m): m is M => m.side === side).map((m) => [m.id, m])) as Record<string, M>;

export const shopModules = bySide<ShopModule>("shop");
export const accountingModules = bySide<AccountingModule>("accounting");
