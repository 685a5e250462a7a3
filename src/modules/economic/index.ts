import { texts } from "./texts";
import { economicConnect } from "./connect";
import { ECONOMIC_LIMITS, economicAdapter } from "./adapter";
import { economicSettings } from "./settings";
import type { AccountingModule } from "../types";

export const economic: AccountingModule = {
  id: "economic",
  side: "accounting",
  name: "e-conomic",
  settings: economicSettings,
  labels: texts.labels,
  settingHelp: texts.settingHelp,
  behaviour: economicAdapter,
  limits: ECONOMIC_LIMITS,
  connect: { help: texts.connectHelp, flow: economicConnect },
};
