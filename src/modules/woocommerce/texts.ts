/** The words this module brings to the settings page, Danish and English (pure data: the browser test reads it too). */
export const texts = {
  stateNames: {
    da: { pending: "Afventer betaling", processing: "Behandler", "on-hold": "Afventer", completed: "Gennemført", cancelled: "Annulleret", refunded: "Refunderet", failed: "Mislykket", "checkout-draft": "Kladde" },
    en: { pending: "Pending payment", processing: "Processing", "on-hold": "On hold", completed: "Completed", cancelled: "Cancelled", refunded: "Refunded", failed: "Failed", "checkout-draft": "Draft" },
  },
  webhookHelp: { da: "I WooCommerce: WooCommerce → Indstillinger → Avanceret → Webhooks → Tilføj webhook. Emne \"Ordre oprettet\" (og en til \"Ordre opdateret\"), status Aktiv, indsæt adressen ovenfor som leveringsadresse, og brug samme hemmelighed som webhookSecret.", en: "In WooCommerce: WooCommerce → Settings → Advanced → Webhooks → Add webhook. Topic \"Order created\" (and one for \"Order updated\"), status Active, paste the address above as the delivery URL, and use the same secret as webhookSecret." },
  connectHelp: { da: "Du sendes til din WooCommerce og godkender adgangen: nøgler og webhooks sættes op af sig selv. Angiv først butikkens adresse, og gem.", en: "You are sent to your WooCommerce to approve the access: the keys and the webhooks are set up for you. First enter the shop's address and save." },
  /** Its settings in the merchant's words, by setting path. */
  labels: {
    da: {
      siteUrl: "Butikkens adresse",
      consumerKey: "Consumer key",
      consumerSecret: "Consumer secret",
    },
    en: {
      siteUrl: "Shop address",
      consumerKey: "Consumer key",
      consumerSecret: "Consumer secret",
    },
  },
};
