import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_FAILURES_PER_EMAIL, MAX_FAILURES_PER_EMAIL_AND_IP, MAX_FAILURES_PER_IP, signInDelayMs } from "../../src/pages/auth";
import { call, createTenant } from "../helpers";
import { Browser, csrfOf, PASSWORD, signedInOwner } from "./helpers";

function sessionCookie(setCookies: string[]) {
  return setCookies.find((c) => c.startsWith("__Host-session="));
}

describe("settings page: sign-in", () => {
  it("invite → choose a password → signed in with a __Host-session cookie; the invite works once", async () => {
    const t = await createTenant();
    const inv = await call("POST", `/api/staff/tenants/${t.id}/users`, { email: "Owner@Shop.example", role: "owner" });
    const path = new URL(inv.json.inviteUrl).pathname;
    const b = new Browser();
    const page = await b.get(path);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Vælg din adgangskode");
    expect(page.text).toContain("owner@shop.example");
    // Too short, then not the same: re-rendered with the error, nothing stored.
    let r = await b.post(path, { _csrf: csrfOf(page.text), password: "short", password2: "short" });
    expect(r.status).toBe(400);
    expect(r.text).toContain("mindst 10 tegn");
    r = await b.post(path, { _csrf: csrfOf(page.text), password: PASSWORD, password2: PASSWORD + "x" });
    expect(r.status).toBe(400);
    expect(r.text).toContain("ikke ens");
    r = await b.post(path, { _csrf: csrfOf(page.text), password: PASSWORD, password2: PASSWORD });
    expect(r.status).toBe(303);
    expect(r.location).toBe("/home");
    const cookie = sessionCookie(b.lastSetCookies)!;
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).toMatch(/; Path=\//i);
    expect(cookie).not.toMatch(/Domain=/i);
    // The password is stored as a PBKDF2 hash, the session token only as its SHA-256.
    const user = await env.DB.prepare("SELECT password_hash FROM users WHERE email = ?").bind("owner@shop.example").first<{ password_hash: string }>();
    expect(user!.password_hash).toMatch(/^pbkdf2-sha256\$100000\$/);
    const token = cookie.split(";")[0].split("=")[1];
    expect(await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE id_hash = ?").bind(token).first("n")).toBe(0);
    const home = await b.get("/home");
    expect(home.status).toBe(200);
    expect(home.text).toContain("Forbrug denne måned");
    // The invite link is used.
    expect((await new Browser().get(path)).status).toBe(404);
  });

  it("signs in, renders every page, answers in English on ?lang=en, with secure headers", async () => {
    const { b, email } = await signedInOwner();
    const fresh = new Browser();
    const form = await fresh.get("/");
    expect(form.status).toBe(200);
    const r = await fresh.post("/sign-in", { _csrf: csrfOf(form.text), email: email.toUpperCase(), password: PASSWORD });
    expect(r.status).toBe(303);
    expect(r.location).toBe("/home");
    const cookie = sessionCookie(fresh.lastSetCookies)!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    for (const path of ["/home", "/integrations", "/log", "/subscription", "/imports", "/users"]) {
      const p = await fresh.get(path);
      expect(p.status, path).toBe(200);
      expect(p.headers.get("content-type")).toContain("text/html");
      const csp = p.headers.get("content-security-policy")!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(p.headers.get("x-content-type-options")).toBe("nosniff");
      expect(p.headers.get("x-frame-options")).toBe("DENY");
    }
    const en = await fresh.get("/home?lang=en");
    expect(en.text).toContain("Usage this month");
    expect((await fresh.get("/subscription")).text).toContain("Top up"); // the cookie keeps English
    expect((await fresh.get("/subscription?lang=da")).text).toContain("Tank op");
    // Signed in: the sign-in page sends you home; signed out pages send you to sign in.
    expect((await b.get("/")).location).toBe("/home");
    const anon = await new Browser().get("/log");
    expect(anon.status).toBe(303);
    expect(anon.location).toBe("/?next=%2Flog");
  });

  it("the log's filters and search come back after signing in; a foreign place to return to is refused", async () => {
    const { email } = await signedInOwner();
    const b = new Browser();
    const anon = await b.get("/log?status=failed&q=soeren%40firma");
    expect(anon.location).toBe(`/?next=${encodeURIComponent("/log?status=failed&q=soeren%40firma")}`);
    const form = await b.get(anon.location!);
    const r = await b.post("/sign-in", { _csrf: csrfOf(form.text), email, password: PASSWORD, next: "/log?status=failed&q=soeren%40firma" });
    expect(r.status).toBe(303);
    expect(r.location).toBe("/log?status=failed&q=soeren%40firma");
    for (const next of ["//evil.example/log", "https://evil.example/", "/log?x=<script>"]) {
      const c = new Browser();
      const f = await c.get("/");
      expect((await c.post("/sign-in", { _csrf: csrfOf(f.text), email, password: PASSWORD, next })).location, next).toBe("/home");
    }
  });

  it("wrong password and unknown email: 401, the same message, no session", async () => {
    const { email } = await signedInOwner();
    for (const [e, p] of [[email, "wrong password!"], ["nobody@shop.example", PASSWORD]]) {
      const b = new Browser();
      const form = await b.get("/");
      const r = await b.post("/sign-in", { _csrf: csrfOf(form.text), email: e, password: p });
      expect(r.status).toBe(401);
      expect(r.text).toContain("Forkert e-mail eller adgangskode.");
      expect(r.text).toContain(`value="${e}"`); // what was typed is kept
      expect(sessionCookie(b.lastSetCookies)).toBeUndefined();
      expect((await b.get("/home")).status).toBe(303);
    }
  });

  const signIn = async (b: Browser, email: string, password: string) => {
    const form = await b.get("/");
    return b.post("/sign-in", { _csrf: csrfOf(form.text), email, password });
  };
  const lastFailure = (key: string, msAgo: number) =>
    env.DB.prepare("UPDATE sign_in_attempts SET last_failure_at = ? WHERE key = ?").bind(new Date(Date.now() - msAgo).toISOString(), key).run();

  it(`an attacker in one place is stopped after ${MAX_FAILURES_PER_EMAIL_AND_IP} guesses, the owner elsewhere is not locked out`, async () => {
    const { email } = await signedInOwner();
    const attacker = new Browser("203.0.113.7");
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL_AND_IP; i++) expect((await signIn(attacker, email, `nope-${i}-xxxxx`)).status).toBe(401);
    // From the attacker's address even the right password waits now.
    const blocked = await signIn(attacker, email, PASSWORD);
    expect(blocked.status).toBe(429);
    expect(blocked.text).toContain("For mange forsøg");
    expect(sessionCookie(attacker.lastSetCookies)).toBeUndefined();
    // The owner, from another address, signs in.
    const owner = new Browser("198.51.100.20");
    const ok = await signIn(owner, email, PASSWORD);
    expect(ok.status).toBe(303);
    expect(sessionCookie(owner.lastSetCookies)).toBeDefined();
  });

  it("the delays grow: 30 s after the limit, then 60 s after the next failure", async () => {
    const { email } = await signedInOwner();
    const b = new Browser("203.0.113.8");
    for (let i = 0; i < MAX_FAILURES_PER_EMAIL_AND_IP; i++) await signIn(b, email, `nope-${i}-xxxxx`);
    const key = `email-ip:${email}|203.0.113.8`;
    expect(signInDelayMs(MAX_FAILURES_PER_EMAIL_AND_IP, MAX_FAILURES_PER_EMAIL_AND_IP)).toBe(30_000);
    await lastFailure(key, 29_000);
    expect((await signIn(b, email, "still-wrong-xxxxx")).status).toBe(429);
    await lastFailure(key, 31_000);
    expect((await signIn(b, email, "still-wrong-xxxxx")).status).toBe(401); // one more try, and it fails
    await lastFailure(key, 31_000);
    expect((await signIn(b, email, PASSWORD)).status).toBe(429); // now 60 s
    await lastFailure(key, 61_000);
    expect((await signIn(b, email, PASSWORD)).status).toBe(303);
    expect(signInDelayMs(MAX_FAILURES_PER_EMAIL_AND_IP + 20, MAX_FAILURES_PER_EMAIL_AND_IP)).toBe(15 * 60_000);
  });

  it(`guessing spread over many addresses slows the email itself after ${MAX_FAILURES_PER_EMAIL}`, async () => {
    const { email } = await signedInOwner();
    await env.DB.prepare("INSERT INTO sign_in_attempts (key, window_start, count, last_failure_at) VALUES (?1, ?2, ?3, ?2)").bind(`email:${email}`, new Date().toISOString(), MAX_FAILURES_PER_EMAIL - 1).run();
    expect((await signIn(new Browser("192.0.2.1"), email, "wrong-password-x")).status).toBe(401);
    expect((await signIn(new Browser("192.0.2.2"), email, PASSWORD)).status).toBe(429);
  });

  it(`one address guessing at many emails is stopped after ${MAX_FAILURES_PER_IP}, for known and unknown emails alike`, async () => {
    const { email } = await signedInOwner();
    const b = new Browser("203.0.113.9");
    for (let i = 0; i < MAX_FAILURES_PER_IP; i++) expect((await signIn(b, `nobody-${i}@shop.example`, "wrong-password-x")).status).toBe(401);
    const known = await signIn(b, email, PASSWORD);
    const unknown = await signIn(b, "nobody-else@shop.example", PASSWORD);
    expect([known.status, unknown.status]).toEqual([429, 429]);
    const text = (html: string) => html.replace(/name="_csrf" value="[^"]+"/, "").replace(/value="[^"]*@[^"]*"/, "");
    expect(text(known.text)).toBe(text(unknown.text));
    expect((await signIn(new Browser("198.51.100.21"), email, PASSWORD)).status).toBe(303);
  });

  it("sign-in without the form's token is refused (login CSRF)", async () => {
    const { email } = await signedInOwner();
    const b = new Browser();
    await b.get("/");
    expect((await b.post("/sign-in", { email, password: PASSWORD })).status).toBe(403);
    expect((await b.post("/sign-in", { _csrf: "forged-token-forged-token", email, password: PASSWORD })).status).toBe(403);
    expect(sessionCookie(b.lastSetCookies)).toBeUndefined();
  });

  it("sign-out ends the session on the server", async () => {
    const { b } = await signedInOwner();
    const token = b.cookies.get("__Host-session")!;
    const stolen = new Browser();
    stolen.cookies.set("__Host-session", token);
    expect((await stolen.get("/home")).status).toBe(200);
    const r = await b.submit("/home", "/sign-out");
    expect(r.status).toBe(303);
    expect(r.location).toBe("/");
    expect(b.cookies.has("__Host-session")).toBe(false);
    expect((await stolen.get("/home")).status).toBe(303); // the copied cookie no longer works
  });

  it("a removed user's sessions end; a member cannot manage users", async () => {
    const owner = await signedInOwner();
    const member = await signedInOwner({ role: "member", tenantId: owner.tenantId });
    expect((await member.b.get("/home")).status).toBe(200);
    expect((await member.b.get("/users")).status).toBe(403);
    expect((await member.b.submit("/home", "/users", { email: "x@shop.example", role: "owner" })).status).toBe(403);
    expect((await owner.b.submit("/users", `/users/${member.userId}/remove`)).status).toBe(303);
    expect((await member.b.get("/home")).status).toBe(303);
  });
});

describe("settings page: CSRF on every form", () => {
  it("a POST without or with a wrong token is 403 and changes nothing", async () => {
    const { b, tenantId } = await signedInOwner();
    const count = () => env.DB.prepare("SELECT count(*) AS n FROM integrations WHERE tenant_id = ?").bind(tenantId).first("n");
    const before = await count();
    const form = { name: "x", shop: "sandbox", accounting: "sandbox" };
    expect((await b.post("/integrations", form)).status).toBe(403);
    expect((await b.post("/integrations", { ...form, _csrf: "wrong" })).status).toBe(403);
    // Another session's token is not this session's token.
    const other = await signedInOwner({ tenantId });
    const otherToken = csrfOf((await other.b.get("/integrations")).text);
    expect((await b.post("/integrations", { ...form, _csrf: otherToken })).status).toBe(403);
    expect(await count()).toBe(before);
    // With the right token it works.
    expect((await b.submit("/integrations", "/integrations", form)).status).toBe(303);
    expect(await count()).toBe((before as number) + 1);
  });
});
