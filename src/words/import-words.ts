/** Why an import pauses and what to do, by pause reason: the same words on the import's page and in its e-mail. */
import type { Lang } from "./i18n";

export type PauseReason = "scope_exceeded" | "staff" | "shop_unavailable";

const PAUSES: Record<Lang, Record<PauseReason, { why: string; todo: string }>> = {
  da: {
    scope_exceeded: {
      why: "Importen fandt {found} ordrer, mere end 25 % over de {estimated}, tilbuddet bygger på. Den venter derfor på et nyt tilbud, før flere ordrer overføres og faktureres.",
      todo: "Support sender dig et nyt tilbud; når du har accepteret det, fortsætter importen, hvor den slap.",
    },
    staff: { why: "Support har sat importen på pause.", todo: "Du behøver ikke gøre noget; support fortsætter importen og giver dig besked." },
    shop_unavailable: {
      why: "Webshoppen kunne ikke læses, så importen holder pause i stedet for at springe ordrer over.",
      todo: "Tjek at webshoppen er oppe, og at forbindelsen under integrationen virker; giv support besked, så fortsætter importen.",
    },
  },
  en: {
    scope_exceeded: {
      why: "The import found {found} orders, more than 25 % above the {estimated} the quote is based on. It waits for a new quote before more orders are transferred and billed.",
      todo: "Support sends you a new quote; once you accept it, the import goes on where it stopped.",
    },
    staff: { why: "Support paused the import.", todo: "Nothing to do for you; support resumes the import and lets you know." },
    shop_unavailable: {
      why: "The shop could not be read, so the import pauses instead of skipping orders.",
      todo: "Check that the shop is up and that the connection on the integration's page works; tell support, and the import goes on.",
    },
  },
};

/** The words of a pause reason (an unknown one reads as a pause by support). */
export function pauseWords(lang: Lang, reason: string) {
  return PAUSES[lang][(reason in PAUSES[lang] ? reason : "staff") as PauseReason];
}
