/** The words this module brings to the settings page, Danish and English (pure data: the browser test reads it too). */
export const texts = {
  connectHelp: { da: "Log ind i Dinero (Visma Connect) og godkend adgangen: så skal der ikke kopieres nogen API-nøgle.", en: "Sign in to Dinero (Visma Connect) and approve the access: no API key needs copying." },
  /** Its settings in the merchant's words, by setting path. */
  labels: {
    da: {
      organizationId: "Dinero firma-id",
      apiKey: "Dinero API-nøgle",
      refreshToken: "Dinero-forbindelse (udfyldes af Forbind)",
      accounts: "Salgskonti",
      "accounts.domestic": "Salgskonto med dansk moms (fx 1000)",
      "accounts.eu": "Salgskonto for EU uden moms",
      "accounts.abroad": "Salgskonto for udlandet uden moms (fx 1050)",
      paymentConditionDays: "Betalingsfrist i dage (0 = netto kontant)",
    },
    en: {
      organizationId: "Dinero organization id",
      apiKey: "Dinero API key",
      refreshToken: "Dinero connection (filled in by Connect)",
      accounts: "Sales accounts",
      "accounts.domestic": "Sales account with Danish VAT (e.g. 1000)",
      "accounts.eu": "Sales account for the EU without VAT",
      "accounts.abroad": "Sales account for abroad without VAT (e.g. 1050)",
      paymentConditionDays: "Payment terms in days (0 = net cash)",
    },
  },
  /** A line of help under a setting, where its label alone does not say what happens. */
  settingHelp: {
    da: {
      accounts: "I Dinero følger momsen kontoen: vælg for hver slags ordre den salgskonto i kontoplanen, hvis momskode passer (dansk moms, EU-salg uden moms, salg uden for EU).",
      apiKey: "Opret nøglen i Dinero under Indstillinger → Integrationer (kræver Dinero Pro). Eller tryk Forbind Dinero, så skal der ikke kopieres nogen nøgle.",
    },
    en: {
      accounts: "In Dinero the VAT follows the account: for each kind of order choose the sales account in the chart of accounts whose VAT code fits (Danish VAT, EU sales without VAT, sales outside the EU).",
      apiKey: "Create the key in Dinero under Settings → Integrations (needs Dinero Pro). Or press Connect Dinero, and no key needs copying.",
    },
  },
};
