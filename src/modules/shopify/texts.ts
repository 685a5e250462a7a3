/** The words this module brings to the settings page, Danish and English (pure data: the browser test reads it too). */
export const texts = {
  stateNames: {
    da: { pending: "Afventer", authorized: "Autoriseret", partially_paid: "Delvist betalt", paid: "Betalt", partially_refunded: "Delvist refunderet", refunded: "Refunderet", voided: "Annulleret", expired: "Udløbet" },
    en: { pending: "Pending", authorized: "Authorized", partially_paid: "Partially paid", paid: "Paid", partially_refunded: "Partially refunded", refunded: "Refunded", voided: "Voided", expired: "Expired" },
  },
  webhookHelp: { da: "I Shopify: Indstillinger → Notifikationer → Webhooks → Opret webhook. Vælg hændelserne \"Ordreoprettelse\", \"Ordreopdatering\" og \"Ordrebetaling\", format JSON, og indsæt adressen ovenfor. Shopify viser en signeringsnøgle: indsæt den som webhookSecret.", en: "In Shopify: Settings → Notifications → Webhooks → Create webhook. Choose the events \"Order creation\", \"Order update\" and \"Order payment\", format JSON, and paste the address above. Shopify shows a signing secret: enter it as webhookSecret." },
  connectHelp: { da: "Du sendes til Shopify og godkender appen: adgang og webhooks sættes op af sig selv. Angiv først butikkens myshopify-domæne, og gem.", en: "You are sent to Shopify to approve the app: the access and the webhooks are set up for you. First enter the shop's myshopify domain and save." },
  /** Its settings in the merchant's words, by setting path. */
  labels: {
    da: {
      shopDomain: "Butikkens myshopify-domæne",
      allowedFinancialStatuses: "Betalingsstatusser der overføres",
      refreshToken: "Shopify-forbindelse (udfyldes af Forbind)",
      accessTokenExpiresAt: "Adgangstokenet udløber (udfyldes af Forbind)",
    },
    en: {
      shopDomain: "Shop's myshopify domain",
      allowedFinancialStatuses: "Financial statuses to transfer",
      refreshToken: "Shopify connection (filled in by Connect)",
      accessTokenExpiresAt: "Access token expires (filled in by Connect)",
    },
  },
};
