/** The sign-in guard of the pages, with its refusals rendered in the page's language. */
import { requireUserWith, type PageContext } from "./auth";
import { Csrf, Flash, render, tr } from "./layout";

/** Posted fields that are never echoed back into a page (secrets the merchant typed, our own token). */
const SECRET_FIELD = /(secret|token|password|key)/i;

/**
 * An expired form (CSRF token no longer valid, session still valid): nothing is done, and what was typed
 * comes back in a form with a fresh token, so one click sends it again. Secrets are not echoed; the page
 * says which ones must be typed again.
 */
function expired(c: PageContext, form: Record<string, unknown>) {
  const t = tr(c);
  const fields = Object.entries(form).filter(([k, v]) => k !== "_csrf" && typeof v === "string") as [string, string][];
  const kept = fields.filter(([k]) => !SECRET_FIELD.test(k));
  const dropped = fields.filter(([k, v]) => SECRET_FIELD.test(k) && v !== "").map(([k]) => k);
  return render(
    c,
    t.t("formExpiredTitle"),
    <>
      <h1>{t.t("formExpiredTitle")}</h1>
      <Flash text={t.t("formExpiredKept")} error />
      {dropped.length > 0 && (
        <p id="expired-secrets">
          {t.t("formExpiredSecrets")} <span class="mono">{dropped.join(", ")}</span>
        </p>
      )}
      <form method="post" action={c.req.path} id="expired-form">
        <Csrf token={c.get("csrf")} />
        {kept.map(([k, v]) => (
          <input type="hidden" name={k} value={v} />
        ))}
        <p>
          <button type="submit">{t.t("sendAgain")}</button> <a href={c.req.header("referer")?.startsWith(new URL(c.req.url).origin) ? c.req.header("referer") : "/home"}>{t.t("cancel")}</a>
        </p>
      </form>
    </>,
    { status: 403 },
  );
}

export const requireUser = requireUserWith({
  expired,
  ownerOnly: (c) => {
    const t = tr(c);
    return render(c, t.t("forbiddenTitle"), <><h1>{t.t("forbiddenTitle")}</h1><Flash text={t.t("forbidden")} error /></>, { status: 403 });
  },
  signedOut: (c) => {
    const t = tr(c);
    return render(c, t.t("signIn"), <><h1>{t.t("signedOutTitle")}</h1><p>{t.t("signedOutText")}</p><p><a class="button" href="/">{t.t("signIn")}</a></p></>, { status: 403 });
  },
});
