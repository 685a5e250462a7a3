import { ECONOMIC_LIMITS, economicAdapter } from "./adapter";
import { economicSettings } from "./settings";
import type { AccountingModule } from "../types";

export const economic: AccountingModule = {
  id: "economic",
  side: "accounting",
  name: "e-conomic",
  settings: economicSettings,
  behaviour: economicAdapter,
  limits: ECONOMIC_LIMITS,
  connect: { startPath: "/connect/economic/start", help: { da: "Du sendes til e-conomic og tilføjer appen til din aftale (kræver administratorrettigheder): så skal der ikke kopieres noget aftale-token.", en: "You are sent to e-conomic to add the app to your agreement (administrator rights needed): no agreement grant token needs copying." } },
};
