import { texts } from "./texts";
import { dineroConnect } from "./connect";
import { DINERO_LIMITS, dineroAdapter } from "./adapter";
import { dineroSettings } from "./settings";
import type { AccountingModule } from "../types";

export const dinero: AccountingModule = {
  id: "dinero",
  side: "accounting",
  name: "Dinero",
  settings: dineroSettings,
  labels: texts.labels,
  settingHelp: texts.settingHelp,
  behaviour: dineroAdapter,
  limits: DINERO_LIMITS,
  connect: { help: texts.connectHelp, filledByConnection: ["organizationName"], flow: dineroConnect },
};
