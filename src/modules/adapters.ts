/** The behaviour of each module by id, from the one list (src/modules/index.ts). */
import { accountingModules, shopModules } from ".";
import type { AccountingAdapter, ShopAdapter } from "./types";

const behaviours = <T>(m: Record<string, { behaviour: T }>) => Object.fromEntries(Object.entries(m).map(([id, d]) => [id, d.behaviour])) as Record<string, T>;

export const shopAdapters: Record<string, ShopAdapter> = behaviours(shopModules);
export const accountingAdapters: Record<string, AccountingAdapter> = behaviours(accountingModules);
