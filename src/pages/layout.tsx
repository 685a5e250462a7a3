import type { Child } from "hono/jsx";
import type { SessionUser } from "./auth";
import type { Key, T } from "../words/i18n";

const NAV: [string, Key][] = [
  ["/home", "navHome"],
  ["/integrations", "navIntegrations"],
  ["/log", "navLog"],
  ["/subscription", "navSubscription"],
  ["/imports", "navImports"],
  ["/users", "navUsers"],
];

export function Layout(props: { t: T; title: string; path: string; query?: string; refresh?: number; user?: SessionUser; csrf?: string; scripts?: string[]; children?: Child }) {
  const { t, user } = props;
  const other = t.lang === "da" ? "en" : "da";
  // The language switch keeps the page's filters and search.
  const switched = new URLSearchParams(props.query ?? "");
  switched.set("lang", other);
  return (
    <html lang={t.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {props.refresh && <meta http-equiv="refresh" content={String(props.refresh)} />}
        <title>{`${props.title} · orderbridge`}</title>
        <link rel="stylesheet" href="/assets/app.css" />
      </head>
      <body>
        <header>
          <span class="brand">orderbridge</span>
          {user && (
            <nav class="nav" aria-label={t.t("menu")}>
              {NAV.filter(([href]) => href !== "/users" || user.role === "owner").map(([href, key]) => (
                <a href={href} aria-current={props.path.startsWith(href) ? "page" : undefined}>
                  {t.t(key)}
                </a>
              ))}
            </nav>
          )}
          <span class="right">
            <a href={`?${switched}`} hreflang={other} lang={other}>
              {t.t("language")}
            </a>
            {user && (
              <a href="/account" aria-current={props.path === "/account" ? "page" : undefined}>
                {t.t("navAccount")}
              </a>
            )}
            {user && <span class="muted">{user.email}</span>}
            {user && (
              <form method="post" action="/sign-out">
                <input type="hidden" name="_csrf" value={props.csrf} />
                <button type="submit">{t.t("signOut")}</button>
              </form>
            )}
          </span>
        </header>
        <main>{props.children}</main>
        {(props.scripts ?? []).map((s) => (
          <script src={s} defer></script>
        ))}
      </body>
    </html>
  );
}

export const Csrf = (p: { token: string }) => <input type="hidden" name="_csrf" value={p.token} />;

export const Flash = (p: { text?: string | null; error?: boolean }) => (p.text ? <div class={p.error ? "flash error" : "flash"} role={p.error ? "alert" : "status"}>{p.text}</div> : null);

export const FieldError = (p: { text?: string; id?: string }) => (p.text ? <p class="field-error" id={p.id}>{p.text}</p> : null);

export const Badge = (p: { t: T; code: string }) => <span class={`badge ${p.code}`}>{p.t.code(p.code)}</span>;

import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { PageContext } from "./auth";
import { translator } from "../words/i18n";

/** The translator of this request (language chosen by the `lang` middleware). */
export const tr = (c: PageContext) => translator(c.get("lang") ?? "da");

/** Renders a page inside the layout, with a doctype (standards mode, not quirks mode). */
export async function render(c: PageContext, title: string, body: Child, opts: { status?: ContentfulStatusCode; scripts?: string[]; refresh?: number } = {}) {
  const t = tr(c);
  let user: SessionUser | undefined;
  let csrf: string | undefined;
  try {
    user = c.get("user");
    csrf = c.get("csrf");
  } catch {}
  const page = (
    <Layout t={t} title={title} path={c.req.path} query={new URL(c.req.url).search} refresh={opts.refresh} user={user} csrf={csrf} scripts={opts.scripts}>
      {body}
    </Layout>
  );
  return c.html(`<!DOCTYPE html>${await page.toString()}`, opts.status ?? 200);
}
