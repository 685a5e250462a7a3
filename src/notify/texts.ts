/**
 * The words of notifications (R25), Danish first and English, in a bookkeeper's words: what happened,
 * what it means for the books, what to do, and where to look. Codes (categories, statuses) and the
 * formatting of money and times come from the settings page's translator, so both say the same.
 */
import { errorHelp } from "../words/error-help";
import { pauseWords } from "../words/import-words";
import { translator, type Lang } from "../words/i18n";

export const KINDS = ["accounting_auth_failed", "shop_disconnected", "webhooks_missing", "import_paused", "import_completed", "failed_orders_digest"] as const;
export type Kind = (typeof KINDS)[number];

/** A message before it is rendered: a subject, paragraphs, optional grouped lists, and the page that shows the problem. */
export interface Content {
  subject: string;
  paragraphs: string[];
  groups?: { heading: string; hint?: string; items: string[] }[];
  /** What to do, as one sentence. */
  action?: string;
  /** Path on the settings page ("/integrations/int_…"). */
  path: string;
  linkLabel: string;
}

/** The words around every message. */
export const frame: Record<Lang, { greeting: string; open: string; footer: string; choose: string }> = {
  da: {
    greeting: "Hej",
    open: "Åbn",
    footer: "Du får denne besked fra orderbridge, fordi du er bruger af kontoen {tenant}.",
    choose: "Vælg hvilke beskeder du får",
  },
  en: {
    greeting: "Hello",
    open: "Open",
    footer: "You receive this message from orderbridge because you are a user of the account {tenant}.",
    choose: "Choose which messages you receive",
  },
};

const fill = (s: string, vars: Record<string, string | number>) => s.replace(/\{(\w+)\}/g, (_, k: string) => (k in vars ? String(vars[k]) : `{${k}}`));

export function accountingAuthFailed(lang: Lang, d: { integration: string; integrationId: string; system: string; message: string; at: string }): Content {
  const t = translator(lang);
  return lang === "da"
    ? {
        subject: `${d.system} afviser adgangen – ordrer fra ${d.integration} overføres ikke`,
        paragraphs: [
          `${d.system} afviste vores adgang ${t.when(d.at)} (${d.message}).`,
          "Indtil adgangen virker igen, kommer der ingen fakturaer i bogholderiet. Ingen ordrer er tabt: de står som fejlet i ordreloggen.",
        ],
        action: `Forbind ${d.system} igen under integrationen, og overfør derefter de fejlede ordrer igen fra ordreloggen.`,
        path: `/integrations/${d.integrationId}`,
        linkLabel: "integrationen",
      }
    : {
        subject: `${d.system} refuses access – orders from ${d.integration} are not transferred`,
        paragraphs: [
          `${d.system} refused our access on ${t.when(d.at)} (${d.message}).`,
          "Until access works again, no invoices reach the books. No order is lost: they show as failed in the order log.",
        ],
        action: `Reconnect ${d.system} on the integration's page, then transfer the failed orders again from the order log.`,
        path: `/integrations/${d.integrationId}`,
        linkLabel: "the integration",
      };
}

export function shopDisconnected(lang: Lang, d: { integration: string; integrationId: string; shop: string; at: string }): Content {
  const t = translator(lang);
  return lang === "da"
    ? {
        subject: `${d.shop} er koblet fra ${d.integration}`,
        paragraphs: [
          `${d.shop} fjernede orderbridge eller afviste vores adgang ${t.when(d.at)}.`,
          "Nye ordrer kommer ikke ind i bogholderiet, før butikken er forbundet igen. Intet går tabt: ordrerne hentes, når forbindelsen er der igen.",
        ],
        action: `Forbind ${d.shop} igen under integrationen.`,
        path: `/integrations/${d.integrationId}`,
        linkLabel: "integrationen",
      }
    : {
        subject: `${d.shop} is disconnected from ${d.integration}`,
        paragraphs: [
          `${d.shop} removed orderbridge or refused our access on ${t.when(d.at)}.`,
          "New orders do not reach the books until the shop is connected again. Nothing is lost: the orders are fetched once the connection is back.",
        ],
        action: `Reconnect ${d.shop} on the integration's page.`,
        path: `/integrations/${d.integrationId}`,
        linkLabel: "the integration",
      };
}

export function webhooksMissing(lang: Lang, d: { integration: string; integrationId: string; shop: string; count: number; since: string }): Content {
  const t = translator(lang);
  return lang === "da"
    ? {
        subject: `${t.num(d.count)} ordrer fra ${d.shop} kom ikke med webhook`,
        paragraphs: [
          `Vores kontrol af ${d.integration} fandt ${t.num(d.count)} ordrer, som ${d.shop} ikke sendte til os med webhook; den første er fra ${t.when(d.since)}.`,
          "Vi har hentet dem selv, og de overføres nu. Men så længe webhooks ikke kommer frem, når nye ordrer først bogholderiet ved næste kontrol (op til en time senere).",
        ],
        action: `Tjek webhooks i ${d.shop}s indstillinger: adressen og hemmeligheden står under integrationen.`,
        path: `/integrations/${d.integrationId}`,
        linkLabel: "integrationen",
      }
    : {
        subject: `${t.num(d.count)} orders from ${d.shop} did not arrive by webhook`,
        paragraphs: [
          `Our check of ${d.integration} found ${t.num(d.count)} orders that ${d.shop} did not send us by webhook; the first is from ${t.when(d.since)}.`,
          "We fetched them ourselves and they are being transferred. But while webhooks do not arrive, new orders reach the books only at the next check (up to an hour later).",
        ],
        action: `Check the webhooks in ${d.shop}'s settings: the address and secret are shown on the integration's page.`,
        path: `/integrations/${d.integrationId}`,
        linkLabel: "the integration",
      };
}

export function importPaused(lang: Lang, d: { importId: string; integration: string; reason: string; found: number; estimated: number; fromDate: string; toDate: string }): Content {
  const t = translator(lang);
  const p = pauseWords(lang, d.reason);
  return {
    subject: lang === "da" ? `Importen af tidligere ordrer til ${d.integration} er sat på pause` : `The import of earlier orders into ${d.integration} is paused`,
    paragraphs: [
      lang === "da" ? `Importen af ordrer fra ${d.fromDate} til ${d.toDate} er sat på pause.` : `The import of orders from ${d.fromDate} to ${d.toDate} is paused.`,
      fill(p.why, { found: t.num(d.found), estimated: t.num(d.estimated) }),
    ],
    action: p.todo,
    path: `/imports/${d.importId}`,
    linkLabel: lang === "da" ? "importen" : "the import",
  };
}

export function importCompleted(
  lang: Lang,
  d: { importId: string; integration: string; fromDate: string; toDate: string; found: number; transferred: number; failed: number; skipped: number; errorsByCategory: Record<string, number>; total: number; currency: string },
): Content {
  const t = translator(lang);
  const da = lang === "da";
  const groups = Object.entries(d.errorsByCategory).map(([category, n]) => ({ heading: `${t.code(category)}: ${t.num(n)}`, hint: errorHelp(lang, category), items: [] }));
  return {
    subject: da ? `Importen til ${d.integration} er færdig: ${t.num(d.transferred)} ordrer overført` : `The import into ${d.integration} is completed: ${t.num(d.transferred)} orders transferred`,
    paragraphs: [
      da ? `Importen af ordrer fra ${d.fromDate} til ${d.toDate} er færdig.` : `The import of orders from ${d.fromDate} to ${d.toDate} is completed.`,
      da
        ? `Fundet: ${t.num(d.found)}. Overført: ${t.num(d.transferred)}. Fejlet: ${t.num(d.failed)}. Sprunget over (fx allerede overført): ${t.num(d.skipped)}.`
        : `Found: ${t.num(d.found)}. Transferred: ${t.num(d.transferred)}. Failed: ${t.num(d.failed)}. Skipped (e.g. already transferred): ${t.num(d.skipped)}.`,
      da ? `Afregning i alt: ${t.money(d.total, d.currency)} ekskl. moms.` : `Billing in total: ${t.money(d.total, d.currency)} excl. VAT.`,
    ],
    ...(groups.length ? { groups } : {}),
    ...(d.failed
      ? { action: da ? "Ret fejlene som beskrevet under hver kategori, og overfør ordrerne igen fra rapporten." : "Fix the errors as described under each category, then transfer the orders again from the report." }
      : {}),
    path: `/imports/${d.importId}`,
    linkLabel: da ? "importens rapport" : "the import's report",
  };
}

/** How many orders of one category the digest names; the rest are counted. */
export const DIGEST_ORDERS_PER_CATEGORY = 20;

/** One category of a digest: its failed orders and refunds (credit notes, R23), `total` counting both. */
export interface DigestGroup {
  category: string;
  total: number;
  refunds: number;
  orders: { orderNumber: string; refundId?: string; integration: string; message: string }[];
}

export function failedOrdersDigest(lang: Lang, d: { since: string; until: string; byCategory: DigestGroup[] }): Content {
  const t = translator(lang);
  const da = lang === "da";
  const refunds = d.byCategory.reduce((a, c) => a + c.refunds, 0);
  const orders = d.byCategory.reduce((a, c) => a + c.total, 0) - refunds;
  // "3 orders", "2 refunds" or "3 orders and 2 refunds" (a refund's credit note fails like an invoice).
  const what = [
    ...(orders > 0 || refunds === 0 ? [`${t.num(orders)} ${da ? "ordrer" : "orders"}`] : []),
    ...(refunds > 0 ? [`${t.num(refunds)} ${da ? "refusioner" : "refunds"}`] : []),
  ].join(da ? " og " : " and ");
  return {
    subject: da ? `${what} kom ikke i bogholderiet – fejl siden ${t.short(d.since)}` : `${what} did not reach the books – failures since ${t.short(d.since)}`,
    paragraphs: [
      da
        ? `Siden ${t.when(d.since)} er ${what} ikke blevet overført til regnskabet. De står i ordreloggen og overføres, når fejlen er rettet og ordren opdateres eller overføres igen.`
        : `Since ${t.when(d.since)}, ${what} have not been transferred to the accounting system. They are in the order log and are transferred once the error is fixed and the order is updated or transferred again.`,
    ],
    groups: d.byCategory.map((c) => ({
      heading: `${t.code(c.category)} (${t.num(c.total)})`,
      hint: errorHelp(lang, c.category),
      items: [
        ...c.orders.map((o) => `${o.orderNumber}${o.refundId !== undefined ? `, ${da ? "refusion" : "refund"} ${o.refundId}` : ""} (${o.integration}): ${o.message}`),
        ...(c.total > c.orders.length ? [da ? `… og ${t.num(c.total - c.orders.length)} flere` : `… and ${t.num(c.total - c.orders.length)} more`] : []),
      ],
    })),
    path: "/log?status=failed",
    linkLabel: da ? "ordreloggen" : "the order log",
  };
}
