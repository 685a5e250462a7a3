/** The words this module brings to the settings page, Danish and English (pure data: the browser test reads it too). */
export const texts = {
  connectHelp: { da: "Log ind i Dinero (Visma Connect) og godkend adgangen: så skal der ikke kopieres nogen API-nøgle.", en: "Sign in to Dinero (Visma Connect) and approve the access: no API key needs copying." },
};
