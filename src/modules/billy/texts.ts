/** The words this module brings to the settings page, Danish and English (pure data: the browser test reads it too). */
export const texts = {
  /** Its settings in the merchant's words, by setting path. */
  labels: {
    da: {
      shippingProductNo: "Billy-varenr. for fragt og gebyrer",
      productAccountId: "Billy-konto (id) for nye varer",
      salesTaxRulesetId: "Billy-momsregel (id) for nye varer",
    },
    en: {
      shippingProductNo: "Billy product no. for shipping and fees",
      productAccountId: "Billy account (id) for new products",
      salesTaxRulesetId: "Billy sales tax ruleset (id) for new products",
    },
  },
};
