/** The words this module brings to the settings page, Danish and English (pure data: the browser test reads it too). */
export const texts = {
  connectHelp: { da: "Du sendes til e-conomic og tilføjer appen til din aftale (kræver administratorrettigheder): så skal der ikke kopieres noget aftale-token.", en: "You are sent to e-conomic to add the app to your agreement (administrator rights needed): no agreement grant token needs copying." },
};
