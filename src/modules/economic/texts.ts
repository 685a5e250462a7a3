/** The words this module brings to the settings page, Danish and English (pure data: the browser test reads it too). */
export const texts = {
  connectHelp: { da: "Du sendes til e-conomic og tilføjer appen til din aftale (kræver administratorrettigheder): så skal der ikke kopieres noget aftale-token.", en: "You are sent to e-conomic to add the app to your agreement (administrator rights needed): no agreement grant token needs copying." },
  /** Its settings in the merchant's words, by setting path. */
  labels: {
    da: {
      agreementGrantToken: "Aftale-token (Agreement Grant Token)",
      layoutNumber: "Layout-nummer",
      paymentTermsNumber: "Betalingsbetingelse (nummer)",
      customerGroupNumber: "Kundegruppe (nummer)",
      vatZones: "Momszoner",
      "vatZones.domestic": "Momszone for Danmark",
      "vatZones.eu": "Momszone for EU uden moms",
      "vatZones.abroad": "Momszone for udlandet",
      shippingProductNumber: "Varenummer for fragt",
      productGroupNumber: "Varegruppe for nye varer",
      roundingProductNumber: "Varenummer for øreafrunding",
      customerMode: "Kunder i e-conomic",
      "customerMode:per_customer": "Én kunde pr. køber",
      "customerMode:collective": "Samlekunde for privatkunder",
      collectiveCustomerNumber: "Samlekundens kundenummer",
    },
    en: {
      agreementGrantToken: "Agreement grant token",
      layoutNumber: "Layout number",
      paymentTermsNumber: "Payment terms (number)",
      customerGroupNumber: "Customer group (number)",
      vatZones: "VAT zones",
      "vatZones.domestic": "VAT zone for Denmark",
      "vatZones.eu": "VAT zone for the EU without VAT",
      "vatZones.abroad": "VAT zone for abroad",
      shippingProductNumber: "Product number for shipping",
      productGroupNumber: "Product group for new products",
      roundingProductNumber: "Product number for rounding",
      customerMode: "Customers in e-conomic",
      "customerMode:per_customer": "One customer per buyer",
      "customerMode:collective": "Collective customer for private buyers",
      collectiveCustomerNumber: "Collective customer's number",
    },
  },
  /** A line of help under a setting, where its label alone does not say what happens. */
  settingHelp: {
    da: {
      customerMode: "Med en samlekunde bogføres ordrer uden firmanavn eller CVR-nummer på én fast debitor, og køberens navn og adresse står som modtager på fakturaen. Firmaer får stadig deres egen kunde.",
      collectiveCustomerNumber: "Skal udfyldes når du bruger samlekunde: opret kunden i e-conomic (fx \"Privatkunder\") og skriv dens kundenummer her.",
    },
    en: {
      customerMode: "With a collective customer, orders without a company name or VAT number are invoiced to one fixed debtor, with the buyer's name and address as the invoice's recipient. Companies still get their own customer.",
      collectiveCustomerNumber: "Required with a collective customer: create the customer in e-conomic (e.g. \"Private customers\") and enter its customer number here.",
    },
  },
};
