/** The merchant's settings page (server-rendered Hono JSX), mounted at "/" after the API and webhooks. */
import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { secureHeaders } from "hono/secure-headers";
import { ApiError } from "../lib/errors";
import { CSS, SLIDER_JS } from "./assets";
import { currentSession, type PageContext, type PagesEnv } from "./auth";
import { requireUser } from "./guard";
import { homeRoutes } from "./home";
import { LANGS, type Lang } from "../words/i18n";
import { importRoutes } from "./imports";
import { integrationRoutes } from "./integrations";
import { Flash, render, tr } from "./layout";
import { orderRoutes } from "./orders";
import { signInRoutes } from "./sign-in";
import { subscriptionRoutes } from "./subscription";
import { userRoutes } from "./users";
import { accountRoutes } from "./account";

/** Paths served by the API and webhooks: the page middleware leaves them alone (their 404s stay JSON). */
const notPages = (path: string) => path.startsWith("/api/") || path === "/api" || path.startsWith("/webhooks/");

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Defence in depth behind the CSRF token: a state-changing request whose browser says it comes from
 * another site (its Origin, or its Sec-Fetch-Site) is refused.
 */
export function crossSite(req: Request) {
  const origin = req.headers.get("origin");
  // "null" is what a browser sends from a page with `Referrer-Policy: no-referrer` (the invite page): not evidence.
  if (origin && origin !== "null" && origin !== new URL(req.url).origin) return true;
  const site = req.headers.get("sec-fetch-site");
  return !!site && site !== "same-origin" && site !== "none";
}

async function notFoundPage(c: PageContext) {
  const t = tr(c);
  // The catch-all runs outside the sign-in guard: read the session to show the menu and the way home.
  if (!c.get("user")) {
    const s = await currentSession(c);
    if (s) {
      c.set("user", s.user);
      c.set("csrf", s.csrf);
    }
  }
  const signedIn = !!c.get("user");
  return render(c, t.t("notFound"), <><h1>{t.t("notFound")}</h1><p>{t.t("notFoundText")}</p><p><a class="button" href={signedIn ? "/home" : "/"}>{signedIn ? t.t("notFoundHome") : t.t("signIn")}</a></p></>, { status: 404 });
}

/** Routes mounted beside the sign-in pages, before the session guard of the pages below (the connect flows). */
export type PageRoutes = (app: Hono<PagesEnv>) => void;

export function createPages(mounts: PageRoutes[] = []) {
  const app = new Hono<PagesEnv>();
  const headers = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    referrerPolicy: "same-origin",
    strictTransportSecurity: "max-age=31536000; includeSubDomains",
    xFrameOptions: "DENY",
  });
  app.use("*", async (c, next) => {
    if (notPages(c.req.path)) return next();
    const asked = c.req.query("lang");
    let lang: Lang = "da";
    if (asked && (LANGS as string[]).includes(asked)) {
      lang = asked as Lang;
      setCookie(c, "lang", lang, { path: "/", sameSite: "Lax", secure: true, maxAge: 365 * 86400 });
    } else {
      const saved = getCookie(c, "lang");
      if (saved && (LANGS as string[]).includes(saved)) lang = saved as Lang;
    }
    c.set("lang", lang);
    // Connect callbacks are posted by the other system (WooCommerce server to server, Visma Connect's
    // form_post from its own site): their one-time state is their authentication, not a session form.
    const connectCallback = /^\/connect\/[a-z]+\/callback$/.test(c.req.path);
    if (!SAFE_METHODS.has(c.req.method) && !connectCallback && crossSite(c.req.raw)) {
      const t = tr(c);
      await headers(c, async () => {
        c.res = await render(c, t.t("error"), <Flash text={t.t("crossSiteForm")} error />, { status: 403 });
      });
      return c.res;
    }
    // A page may ask for a stricter referrer policy than the default (the invite page: a secret in its URL).
    let own: string | null = null;
    await headers(c, async () => {
      await next();
      own = c.res.headers.get("referrer-policy");
    });
    if (own) c.header("referrer-policy", own);
    c.header("cache-control", "no-store");
  });
  app.onError((err, c) => {
    const t = tr(c);
    if (err instanceof ApiError && err.status === 404) return notFoundPage(c);
    if (err instanceof ApiError) return render(c, t.t("error"), <Flash text={err.message} error />, { status: err.status });
    console.error("settings page error", c.req.method, c.req.path, err instanceof Error ? err.message : String(err));
    return render(c, t.t("error"), <Flash text={t.t("error")} error />, { status: 500 });
  });

  app.get("/assets/app.css", (c) => c.body(CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=3600" }));
  app.get("/assets/slider.js", (c) => c.body(SLIDER_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=3600" }));

  signInRoutes(app);
  for (const mount of mounts) mount(app);
  // Everything below needs a session (and a CSRF token on every POST).
  for (const p of ["/home", "/integrations", "/integrations/*", "/log", "/subscription", "/subscription/*", "/imports", "/imports/*", "/users", "/users/*", "/account"])
    app.use(p, requireUser);
  homeRoutes(app);
  integrationRoutes(app);
  orderRoutes(app);
  subscriptionRoutes(app);
  importRoutes(app);
  userRoutes(app);
  accountRoutes(app);
  // Any other address outside the API and webhooks: the page's own 404, in the page's language.
  app.all("*", async (c, next) => (notPages(c.req.path) ? next() : notFoundPage(c)));
  return app;
}
