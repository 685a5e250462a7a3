import { DINERO_LIMITS, dineroAdapter } from "./adapter";
import { dineroSettings } from "./settings";
import type { AccountingModule } from "../types";

export const dinero: AccountingModule = {
  id: "dinero",
  side: "accounting",
  name: "Dinero",
  settings: dineroSettings,
  behaviour: dineroAdapter,
  limits: DINERO_LIMITS,
  connect: { startPath: "/connect/dinero/start", help: { da: "Log ind i Dinero (Visma Connect) og godkend adgangen: så skal der ikke kopieres nogen API-nøgle.", en: "Sign in to Dinero (Visma Connect) and approve the access: no API key needs copying." }, filledByConnection: ["organizationName"] },
};
