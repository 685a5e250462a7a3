/** The user's own page (every signed-in user, member or owner): which notifications they get, and their language (R25). */
import { eq } from "drizzle-orm";
import type { Hono } from "hono";
import { setCookie } from "hono/cookie";
import { getDb } from "../db/client";
import { users } from "../db/schema";
import { kindsOf } from "../notify/outbox";
import { KINDS } from "../notify/texts";
import type { PageContext, PagesEnv } from "./auth";
import { LANGS, type Lang } from "../words/i18n";
import { Csrf, Flash, render, tr } from "./layout";

async function page(c: PageContext, flash?: string) {
  const t = tr(c);
  const me = await getDb(c.env).select().from(users).where(eq(users.id, c.get("user").id)).get();
  const chosen = kindsOf(me!);
  const language = (me?.language ?? "da") as Lang;
  return render(
    c,
    t.t("account"),
    <>
      <h1>{t.t("account")}</h1>
      <Flash text={flash} />
      <form method="post" action="/account" id="account-form">
        <Csrf token={c.get("csrf")} />
        <div class="card">
          <h2>{t.t("notificationsTitle")}</h2>
          <p>{t.t("notificationsIntro")}</p>
          {KINDS.map((kind) => (
            <p>
              <label>
                <input type="checkbox" name="kinds" value={kind} checked={chosen.includes(kind)} /> {t.code(`notice_${kind}`)}
              </label>
            </p>
          ))}
        </div>
        <div class="card">
          <h2>{t.t("languageTitle")}</h2>
          <p>{t.t("languageIntro")}</p>
          {LANGS.map((l) => (
            <label>
              <input type="radio" name="language" value={l} checked={language === l} /> {l === "da" ? "Dansk" : "English"}{" "}
            </label>
          ))}
        </div>
        <p>
          <button type="submit">{t.t("save")}</button>
        </p>
      </form>
    </>,
  );
}

export function accountRoutes(app: Hono<PagesEnv>) {
  app.get("/account", (c) => page(c, c.req.query("done") === "saved" ? tr(c).t("preferencesSaved") : undefined));

  app.post("/account", async (c) => {
    const body = await c.req.parseBody({ all: true });
    const sent = ([] as unknown[]).concat(body.kinds ?? []);
    const kinds = KINDS.filter((k) => sent.includes(k));
    const language = (LANGS as string[]).includes(String(body.language)) ? (body.language as Lang) : undefined;
    await getDb(c.env)
      .update(users)
      .set({ notifications: kinds, ...(language ? { language } : {}) })
      .where(eq(users.id, c.get("user").id));
    if (language) setCookie(c, "lang", language, { path: "/", sameSite: "Lax", secure: true, maxAge: 365 * 86400 });
    return c.redirect(`/account?done=saved${language ? `&lang=${language}` : ""}`, 303);
  });
}
