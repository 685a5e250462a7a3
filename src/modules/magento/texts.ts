/** The words this module brings to the settings page, Danish and English (pure data: the browser test reads it too). */
export const texts = {
  stateNames: {
    da: { pending: "Afventer", pending_payment: "Afventer betaling", payment_review: "Betaling gennemgås", processing: "Behandles", complete: "Fuldført", closed: "Lukket", canceled: "Annulleret", holded: "På hold", fraud: "Mistanke om svindel" },
    en: { pending: "Pending", pending_payment: "Pending payment", payment_review: "Payment review", processing: "Processing", complete: "Complete", closed: "Closed", canceled: "Canceled", holded: "On hold", fraud: "Suspected fraud" },
  },
  /** Its settings in the merchant's words, by setting path. */
  labels: {
    da: {
      baseUrl: "Butikkens adresse",
    },
    en: {
      baseUrl: "Shop address",
    },
  },
};
