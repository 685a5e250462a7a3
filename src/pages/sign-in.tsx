/** Sign-in, invite (choose a password) and sign-out. */
import { and, eq, gt, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { getDb } from "../db/client";
import { invites, users } from "../db/schema";
import { sha256Hex } from "../lib/crypto";
import { nowIso } from "../domain/calendar";
import {
  checkPreCsrf,
  clearFailures,
  createSession,
  currentSession,
  destroySession,
  hashPassword,
  MIN_PASSWORD,
  preCsrfToken,
  recordFailure,

  signInBlocked,
  verifyPassword,
  type PageContext,
  type PagesEnv,
} from "./auth";
import { requireUser } from "./guard";
import { FieldError, Flash, render, tr } from "./layout";

/** Only a local path is a valid place to go after sign-in. */
/** Only a path of ours, with its query (the log's filters), is a place to return to after signing in. */
const safeNext = (v: unknown) => (typeof v === "string" && v.length <= 1000 && /^\/[A-Za-z0-9/_\-]*(\?[A-Za-z0-9_\-.~%&=+]*)?$/.test(v) && !v.startsWith("//") ? v : "/home");

function SignInForm(p: { c: PageContext; email?: string; error?: string; next?: string }) {
  const t = tr(p.c);
  return (
    <div class="signin card">
      <h1>{t.t("signIn")}</h1>
      <Flash text={p.error} error />
      <form method="post" action="/sign-in">
        <input type="hidden" name="_csrf" value={preCsrfToken(p.c)} />
        <input type="hidden" name="next" value={safeNext(p.next)} />
        <label for="email">{t.t("email")}</label>
        <input id="email" name="email" type="email" autocomplete="username" required value={p.email ?? ""} />
        <label for="password">{t.t("password")}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <p>
          <button type="submit">{t.t("signIn")}</button>
        </p>
      </form>
    </div>
  );
}

export function signInRoutes(app: Hono<PagesEnv>) {
  app.get("/", async (c) => {
    if (await currentSession(c)) return c.redirect("/home", 303);
    return render(c, tr(c).t("signIn"), <SignInForm c={c} next={c.req.query("next")} />);
  });

  app.post("/sign-in", async (c) => {
    const t = tr(c);
    const body = await c.req.parseBody();
    const email = String(body.email ?? "").trim().toLowerCase().slice(0, 254);
    const password = String(body.password ?? "");
    const next = safeNext(body.next);
    if (!(await checkPreCsrf(c, body._csrf))) return render(c, t.t("signIn"), <SignInForm c={c} email={email} error={t.t("formExpired")} next={next} />, { status: 403 });
    if (await signInBlocked(c, email)) return render(c, t.t("signIn"), <SignInForm c={c} email={email} error={t.t("tooManyAttempts")} next={next} />, { status: 429 });
    const user = email ? await getDb(c.env).select().from(users).where(and(eq(users.email, email), isNull(users.removedAt))).get() : undefined;
    const ok = await verifyPassword(password, user?.passwordHash ?? null);
    if (!user || !ok) {
      await recordFailure(c, email);
      return render(c, t.t("signIn"), <SignInForm c={c} email={email} error={t.t("wrongCredentials")} next={next} />, { status: 401 });
    }
    await clearFailures(c, email);
    await createSession(c, user);
    return c.redirect(next, 303);
  });

  app.post("/sign-out", requireUser, async (c) => {
    await destroySession(c);
    return c.redirect("/", 303);
  });

  async function validInvite(c: PageContext) {
    const token = c.req.param("token") ?? "";
    if (token.length < 20 || token.length > 100) return null;
    return getDb(c.env)
      .select({ tokenHash: invites.tokenHash, userId: users.id, tenantId: users.tenantId, email: users.email })
      .from(invites)
      .innerJoin(users, eq(users.id, invites.userId))
      .where(and(eq(invites.tokenHash, await sha256Hex(token)), isNull(invites.usedAt), gt(invites.expiresAt, nowIso()), isNull(users.removedAt)))
      .get();
  }

  function InviteForm(p: { c: PageContext; email: string; errors?: Record<string, string> }) {
    const t = tr(p.c);
    return (
      <div class="signin card">
        <h1>{t.t("choosePassword")}</h1>
        <p>{t.t("choosePasswordIntro")}</p>
        <Flash text={p.errors?.form} error />
        <form method="post">
          <input type="hidden" name="_csrf" value={preCsrfToken(p.c)} />
          <label for="email">{t.t("email")}</label>
          <input id="email" type="email" autocomplete="username" value={p.email} readonly />
          <label for="password">{t.t("password")}</label>
          <input id="password" name="password" type="password" autocomplete="new-password" minlength={MIN_PASSWORD} required class={p.errors?.password ? "invalid" : ""} />
          <FieldError text={p.errors?.password} />
          <label for="password2">{t.t("passwordAgain")}</label>
          <input id="password2" name="password2" type="password" autocomplete="new-password" required class={p.errors?.password2 ? "invalid" : ""} />
          <FieldError text={p.errors?.password2} />
          <p>
            <button type="submit">{t.t("save")}</button>
          </p>
        </form>
      </div>
    );
  }

  app.get("/invite/:token", async (c) => {
    const t = tr(c);
    const inv = await validInvite(c);
    if (!inv) return render(c, t.t("notFound"), <Flash text={t.t("inviteInvalid")} error />, { status: 404 });
    c.header("referrer-policy", "no-referrer");
    return render(c, t.t("choosePassword"), <InviteForm c={c} email={inv.email} />);
  });

  app.post("/invite/:token", async (c) => {
    const t = tr(c);
    const inv = await validInvite(c);
    if (!inv) return render(c, t.t("notFound"), <Flash text={t.t("inviteInvalid")} error />, { status: 404 });
    const body = await c.req.parseBody();
    if (!(await checkPreCsrf(c, body._csrf))) return render(c, t.t("choosePassword"), <InviteForm c={c} email={inv.email} errors={{ form: t.t("formExpired") }} />, { status: 403 });
    const password = String(body.password ?? "");
    const errors: Record<string, string> = {};
    if (password.length < MIN_PASSWORD || password.length > 200) errors.password = t.t("passwordTooShort", { n: MIN_PASSWORD });
    else if (password !== String(body.password2 ?? "")) errors.password2 = t.t("passwordsDiffer");
    if (Object.keys(errors).length) return render(c, t.t("choosePassword"), <InviteForm c={c} email={inv.email} errors={errors} />, { status: 400 });
    const db = getDb(c.env);
    const passwordHash = await hashPassword(password);
    // Claim the invite first: of two concurrent submissions only one sets the password.
    const used = await db.update(invites).set({ usedAt: nowIso() }).where(and(eq(invites.tokenHash, inv.tokenHash), isNull(invites.usedAt))).returning().all();
    if (used.length === 0) return render(c, t.t("notFound"), <Flash text={t.t("inviteInvalid")} error />, { status: 404 });
    await db.update(users).set({ passwordHash }).where(eq(users.id, inv.userId));
    await createSession(c, { id: inv.userId, tenantId: inv.tenantId });
    return c.redirect("/home", 303);
  });
}
