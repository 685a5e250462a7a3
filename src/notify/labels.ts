import type { Integration } from "../integrations/store";
import { getModule, type Side } from "../modules/registry";

export const moduleName = (side: Side, id: string) => getModule(side, id)?.name ?? id;

/** How the merchant knows the integration: its name, or "Shopify → e-conomic". */
export function integrationLabel(row: Pick<Integration, "name" | "shopModule" | "accountingModule">) {
  return row.name || `${moduleName("shop", row.shopModule)} → ${moduleName("accounting", row.accountingModule)}`;
}
