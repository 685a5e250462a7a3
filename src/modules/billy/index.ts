import { BILLY_LIMITS, billyAdapter } from "./adapter";
import { billySettings } from "./settings";
import type { AccountingModule } from "../types";

export const billy: AccountingModule = {
  id: "billy",
  side: "accounting",
  name: "Billy",
  settings: billySettings,
  behaviour: billyAdapter,
  limits: BILLY_LIMITS,
};
