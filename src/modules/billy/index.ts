import { texts } from "./texts";
import { BILLY_LIMITS, billyAdapter } from "./adapter";
import { billySettings } from "./settings";
import type { AccountingModule } from "../types";

export const billy: AccountingModule = {
  id: "billy",
  side: "accounting",
  name: "Billy",
  settings: billySettings,
  labels: texts.labels,
  behaviour: billyAdapter,
  limits: BILLY_LIMITS,
};
