/** Users of the tenant: the owner invites and removes colleagues. */
import { and, asc, eq, isNull } from "drizzle-orm";
import type { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { getDb } from "../db/client";
import { sessions, users } from "../db/schema";
import { notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { nowIso } from "../domain/calendar";
import { inviteStatements } from "../account/invites";
import type { PageContext, PagesEnv } from "./auth";
import { userAudit } from "./integrations";
import { Csrf, FieldError, Flash, render, tr } from "./layout";

const ownerOnly = createMiddleware<PagesEnv>(async (c, next) => {
  if (c.get("user").role !== "owner") {
    const t = tr(c);
    return render(c, t.t("users"), <Flash text={t.t("forbidden")} error />, { status: 403 });
  }
  await next();
});

async function page(c: PageContext, state: { typed?: Record<string, string>; errors?: Record<string, string>; inviteUrl?: string; invitedEmail?: string; flash?: string } = {}, status: 200 | 201 | 400 | 409 = 200) {
  const t = tr(c);
  const me = c.get("user");
  const rows = await getDb(c.env).select().from(users).where(and(eq(users.tenantId, me.tenantId), isNull(users.removedAt))).orderBy(asc(users.createdAt)).all();
  const typed = state.typed ?? {};
  return render(
    c,
    t.t("users"),
    <>
      <h1>{t.t("users")}</h1>
      <Flash text={state.flash} />
      {state.inviteUrl && (
        <div class="flash" role="status">
          <p>{t.t("inviteCreated", { email: state.invitedEmail ?? "" })}</p>
          <p class="mono" id="invite-url">{state.inviteUrl}</p>
        </div>
      )}
      <table>
        <thead>
          <tr>
            <th>{t.t("email")}</th>
            <th>{t.t("role")}</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {rows.map((u) => (
            <tr data-user={u.email}>
              <td>
                {u.email} {u.id === me.id && <span class="muted">({t.t("you")})</span>}
              </td>
              <td>{u.role === "owner" ? t.t("owner") : t.t("member")}</td>
              <td>
                {u.id !== me.id && (
                  <details class="confirm">
                    <summary class="button secondary">{t.t("remove")}</summary>
                    <p>{t.t("removeConfirm")}</p>
                    <form method="post" action={`/users/${u.id}/remove`}>
                      <Csrf token={c.get("csrf")} />
                      <button class="danger" type="submit">{t.t("removeReally")}</button>
                    </form>
                  </details>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="card">
        <h2>{t.t("invite")}</h2>
        <form method="post" action="/users">
          <Csrf token={c.get("csrf")} />
          <label for="email">{t.t("email")}</label>
          <input id="email" name="email" type="email" value={typed.email ?? ""} required maxlength={254} class={state.errors?.email ? "invalid" : ""} aria-invalid={state.errors?.email ? "true" : undefined} aria-describedby={state.errors?.email ? "email-error" : undefined} />
          <FieldError text={state.errors?.email} id="email-error" />
          <label for="role">{t.t("role")}</label>
          <select id="role" name="role">
            <option value="member" selected={typed.role !== "owner"}>{t.t("member")}</option>
            <option value="owner" selected={typed.role === "owner"}>{t.t("owner")}</option>
          </select>
          <p>
            <button type="submit">{t.t("invite")}</button>
          </p>
        </form>
      </div>
    </>,
    { status },
  );
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function userRoutes(app: Hono<PagesEnv>) {
  app.use("/users", ownerOnly);
  app.use("/users/*", ownerOnly);

  app.get("/users", (c) => page(c, c.req.query("done") === "removed" ? { flash: tr(c).t("removed") } : {}));

  app.post("/users", async (c) => {
    const t = tr(c);
    const body = await c.req.parseBody();
    const typed = { email: String(body.email ?? "").trim(), role: body.role === "owner" ? "owner" : "member" };
    const email = typed.email.toLowerCase();
    if (!EMAIL_RE.test(email) || email.length > 254) return page(c, { typed, errors: { email: t.t("invalidEmail") } }, 400);
    const db = getDb(c.env);
    if (await db.select({ id: users.id }).from(users).where(eq(users.email, email)).get()) return page(c, { typed, errors: { email: t.t("userExists") } }, 409);
    const me = c.get("user");
    const userId = newId("usr");
    const invite = await inviteStatements(db, c.env.PUBLIC_URL, userId);
    await db.batch([
      db.insert(users).values({ id: userId, tenantId: me.tenantId, email, role: typed.role as "owner" | "member" }),
      invite.statement,
      userAudit(c, "user.invite", { type: "user", id: userId }, { email, role: typed.role }),
    ]);
    return page(c, { inviteUrl: invite.url, invitedEmail: email }, 201);
  });

  app.post("/users/:userId/remove", async (c) => {
    const me = c.get("user");
    const id = c.req.param("userId");
    const db = getDb(c.env);
    const target = await db.select().from(users).where(and(eq(users.id, id), eq(users.tenantId, me.tenantId), isNull(users.removedAt))).get();
    if (!target || target.id === me.id) throw notFound("User");
    await db.batch([
      db.update(users).set({ removedAt: nowIso() }).where(eq(users.id, target.id)),
      db.delete(sessions).where(eq(sessions.userId, target.id)),
      userAudit(c, "user.remove", { type: "user", id: target.id }, { email: target.email }),
    ]);
    return c.redirect("/users?done=removed", 303);
  });
}
