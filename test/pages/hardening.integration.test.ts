import { describe, expect, it } from "vitest";
import { call } from "../helpers";
import { Browser, csrfOf, signedInOwner } from "./helpers";

/** Every state-changing form of the settings page (src/pages/*: app.post). */
const FORMS = [
  "/imports/imp_x/approve",
  "/integrations",
  "/integrations/int_x/settings",
  "/integrations/int_x/activate",
  "/integrations/int_x/deactivate",
  "/integrations/int_x/orders/1/transfer-again",
  "/sign-in",
  "/sign-out",
  "/invite/tok_x",
  "/subscription/top-up",
  "/users",
  "/users/usr_x/remove",
];

describe("forms from another site", () => {
  for (const [name, headers] of [
    ["Origin", { origin: "https://evil.example" }],
    ["Sec-Fetch-Site", { "sec-fetch-site": "cross-site" }],
  ] as const)
    it(`a post with the session's valid CSRF token but a cross-site ${name} is refused (403) on every form, and changes nothing`, async () => {
      const { b } = await signedInOwner();
      const csrf = csrfOf((await b.get("/users")).text);
      for (const path of FORMS) {
        const r = await b.fetch("POST", path, { _csrf: csrf, email: "new@shop.example", role: "member", name: "x" }, headers);
        expect(r.status, path).toBe(403);
      }
      expect((await b.get("/users")).text).not.toContain("new@shop.example"); // /users invited no one
      expect((await b.get("/home")).status).toBe(200); // /sign-out did not sign out
    });

  it("the same post from our own origin (or a browser's same-origin fetch) is taken", async () => {
    const { b } = await signedInOwner();
    const csrf = csrfOf((await b.get("/users")).text);
    const r = await b.fetch("POST", "/users", { _csrf: csrf, email: "new@shop.example", role: "member" }, { origin: "https://orderbridge.test", "sec-fetch-site": "same-origin" });
    expect(r.status).toBeLessThan(400);
    expect((await b.get("/users")).text).toContain("new@shop.example");
  });
});

describe("the invite page", () => {
  it("sends Referrer-Policy: no-referrer (its URL holds a secret), not the global same-origin", async () => {
    const tenant = await call("POST", "/api/staff/tenants", { name: "Ref ApS", planCode: "basic" });
    const inv = await call("POST", `/api/staff/tenants/${tenant.json.id}/users`, { email: "ref@shop.example", role: "owner" });
    const page = await new Browser().get(new URL(inv.json.inviteUrl).pathname);
    expect(page.status).toBe(200);
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    // Other pages keep the global policy.
    expect((await call("GET", "/sign-in", undefined, null)).headers.get("referrer-policy")).toBe("same-origin");
  });
});
