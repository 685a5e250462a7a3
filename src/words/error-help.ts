/**
 * What the merchant can do about a failed order, in the page's language, built from the error category and
 * its parameters (the product numbers, the order number) and naming only settings the integration has.
 * The accounting system's own message is shown beside it as the detail, never instead of it.
 */
import type { ErrorCategory } from "../domain/errors";
import { getModule, type Side } from "../modules/registry";
import { settingLabel, type Lang } from "./i18n";

export interface HelpContext {
  /** The integration's modules; their settings decide which settings a hint may name. */
  shopModule?: string;
  accountingModule?: string;
  /** The order number, for a hint that asks to quote it. */
  orderNumber?: string;
  /** The failure's original message: product numbers are read from its quotes ("SKU-9"). */
  message?: string;
  /** Still being retried (a pending order); a failed order's retries ran out and nothing retries it. */
  retrying?: boolean;
}

type Words = (p: { label: (path: string) => string | null; products: string; order: string }) => string;

const again = { da: "tryk «Overfør igen»", en: "press “Transfer again”" };

const HELP: Record<Lang, Record<ErrorCategory, Words>> = {
  da: {
    product_missing: ({ label, products }) =>
      `Opret varen${products ? ` ${products}` : ""} i regnskabet med samme varenummer som i webshoppen, og ${again.da}.` +
      (label("autoCreateProducts") ? ` Eller slå «${label("autoCreateProducts")}» til i integrationen, så oprettes manglende varer automatisk.` : ""),
    sku_missing: () => "Giv varen et varenummer (SKU) i webshoppen, og gem ordren i webshoppen igen; så overføres den igen.",
    customer_info_missing: () => "Udfyld kundens navn, e-mail og land på ordren i webshoppen, og gem ordren igen; så overføres den igen.",
    vat_setup_missing: ({ label }) =>
      (label("vatZones") ? `Vælg momszonerne under «${label("vatZones")}» i integrationen` : label("accounts") ? `Vælg salgskontiene under «${label("accounts")}» i integrationen` : "Tjek momsopsætningen i regnskabet") +
      `, eller sæt moms på varen i webshoppen; ${again.da} bagefter.`,
    fiscal_year_closed: () => `Opret eller genåbn regnskabsåret for ordrens dato i regnskabet, og ${again.da}.`,
    totals_mismatch: ({ label }) =>
      "Tjek momssatserne på ordren i webshoppen." +
      (label("roundingThreshold") ? ` Små forskelle kan bogføres som øreafrunding: udfyld «${label("roundingThreshold")}» i integrationen.` : "") +
      ` Bilaget står som kladde; ${again.da}, når det er rettet.`,
    accounting_rejected: () => `Læs regnskabets besked nedenfor, ret det den nævner, og ${again.da}.`,
    accounting_auth_failed: () => `Forbind regnskabet igen i integrationen (adgangen blev afvist eller trukket tilbage), og ${again.da}.`,
    accounting_unavailable: () => `Regnskabet svarede ikke, heller ikke efter flere forsøg, og ordren prøves ikke igen af sig selv. Tjek at regnskabet virker, og ${again.da}.`,
    shop_unavailable: () => `Webshoppen svarede ikke, heller ikke efter flere forsøg, og ordren prøves ikke igen af sig selv. Tjek webshoppens adresse og adgang i integrationen, og ${again.da}.`,
    invalid_order: ({ order }) => `Ordren kan ikke læses. Kontakt support og oplys ordrenummer ${order}.`,
  },
  en: {
    product_missing: ({ label, products }) =>
      `Create the product${products ? ` ${products}` : ""} in the accounting system with the shop's SKU as its number, then ${again.en}.` +
      (label("autoCreateProducts") ? ` Or turn on “${label("autoCreateProducts")}” in the integration, and missing products are created for you.` : ""),
    sku_missing: () => "Give the product a SKU in the shop and save the order in the shop again; it is then transferred again.",
    customer_info_missing: () => "Complete the customer's name, email and country on the order in the shop and save it again; it is then transferred again.",
    vat_setup_missing: ({ label }) =>
      (label("vatZones") ? `Choose the VAT zones under “${label("vatZones")}” in the integration` : label("accounts") ? `Choose the sales accounts under “${label("accounts")}” in the integration` : "Check the VAT setup in the accounting system") +
      `, or set VAT on the product in the shop; ${again.en} afterwards.`,
    fiscal_year_closed: () => `Create or reopen the accounting year of the order's date in the accounting system, then ${again.en}.`,
    totals_mismatch: ({ label }) =>
      "Check the VAT rates of the order in the shop." +
      (label("roundingThreshold") ? ` Small differences can be booked as a rounding line: fill in “${label("roundingThreshold")}” in the integration.` : "") +
      ` The document stays a draft; ${again.en} once it is fixed.`,
    accounting_rejected: () => `Read the accounting system's message below, fix what it names, then ${again.en}.`,
    accounting_auth_failed: () => `Reconnect the accounting system in the integration (the access was refused or revoked), then ${again.en}.`,
    accounting_unavailable: () => `The accounting system did not answer, not even after several attempts, and nothing retries the order by itself. Check that the accounting system works, then ${again.en}.`,
    shop_unavailable: () => `The shop did not answer, not even after several attempts, and nothing retries the order by itself. Check the shop's address and access in the integration, then ${again.en}.`,
    invalid_order: ({ order }) => `The order cannot be read. Contact support and quote order number ${order}.`,
  },
};

const RETRYING: Record<Lang, string> = {
  da: "Intet at gøre: vi prøver igen af os selv om lidt.",
  en: "Nothing to do: we try again by ourselves shortly.",
};

/** The module of the integration that has this setting (top-level key), if one has. */
function moduleWith(side: Side, moduleId: string | undefined, key: string) {
  const m = moduleId ? getModule(side, moduleId) : undefined;
  return m && Object.hasOwn(m.settings.shape, key) ? m : undefined;
}

/** The hint of a category in the page's language; "" for a code that is no category. */
export function errorHelp(lang: Lang, category: string, ctx: HelpContext = {}): string {
  const words = HELP[lang][category as ErrorCategory];
  if (!words) return "";
  if (ctx.retrying && (category === "accounting_unavailable" || category === "shop_unavailable")) return RETRYING[lang];
  const label = (key: string) => {
    const m = moduleWith("accounting", ctx.accountingModule, key) ?? moduleWith("shop", ctx.shopModule, key);
    return m ? (settingLabel(lang, key, m) ?? key) : null;
  };
  const products = [...(ctx.message ?? "").matchAll(/"([^"]{1,60})"/g)].map((m) => m[1]).join(", ");
  return words({ label, products: category === "product_missing" ? products : "", order: ctx.orderNumber ?? "" });
}
