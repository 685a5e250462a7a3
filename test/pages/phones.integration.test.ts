import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { topUpQuote } from "../../src/domain/pricing";
import { activate, call, createIntegration } from "../helpers";
import { csrfOf, signedInOwner } from "./helpers";

const tiersOf = async () => JSON.parse((await env.DB.prepare("SELECT top_up_tiers FROM prices WHERE id = 1").first<string>("top_up_tiers"))!) as { minOrders: number; unitPrice: number }[];

describe("settings page: phones and accessibility", () => {
  it("destructive and paid actions ask first: Deaktivér, Fjern, Køb and Godkend each sit behind a confirmation", async () => {
    const { b, tenantId } = await signedInOwner();
    await signedInOwner({ tenantId, role: "member" });
    const i = await createIntegration(tenantId, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    await activate(i.id);
    expect((await b.get(`/integrations/${i.id}`)).text).toMatch(/<details class="confirm" id="deactivate"><summary[^>]*>Deaktivér<\/summary>[^]*?<button class="danger" type="submit">Ja, deaktivér<\/button>/);
    expect((await b.get("/users")).text).toMatch(/<details class="confirm"><summary[^>]*>Fjern<\/summary><p>Brugeren kan ikke længere logge ind[^]*?>Ja, fjern<\/button>/);
    const sub = await b.get("/subscription");
    expect(sub.text).toMatch(/<details class="confirm" id="buy"><summary class="button">Køb<\/summary><p>Du bestiller[^<]*<\/p><button type="submit">Ja, køb<\/button><\/details>/);
  });

  it("the top-up slider reaches its top tier, has a number box beside it, announces the price, and hints when a few more orders cost no more", async () => {
    const { b } = await signedInOwner();
    const tiers = await tiersOf();
    const top = tiers[tiers.length - 1].minOrders;
    const page = await b.get("/subscription");
    const max = Number(page.text.match(/id="orders" name="orders" type="range" min="1" max="(\d+)"/)![1]);
    expect(max).toBeGreaterThanOrEqual(top);
    expect(page.text).toMatch(/<label for="orders-n">Antal ordrer<\/label><input id="orders-n" name="orders" type="number" min="1" max="\d+"/);
    expect(page.text).toContain('<div aria-live="polite" id="topup-live">');
    // The top tier can be quoted and bought through the page.
    const q = await b.get(`/subscription/quote?orders=${top}`);
    expect(q.status).toBe(200);
    expect(JSON.parse(q.text).price).toBe(topUpQuote(tiers, top).price);
    // Just below a tier that costs no more in all, the hint says so.
    const below = tiers.find((t, n) => n > 0 && topUpQuote(tiers, t.minOrders).price <= topUpQuote(tiers, t.minOrders - 1).price)!;
    const hint = JSON.parse((await b.get(`/subscription/quote?orders=${below.minOrders - 1}`)).text).hintText as string;
    expect(hint).toContain(`Tip: ${below.minOrders.toLocaleString("da-DK")} ordrer koster`);
    expect(JSON.parse((await b.get(`/subscription/quote?orders=${below.minOrders}`)).text).hintText).toBe("");
    // A typed number out of range: tied to both inputs, kept.
    const bad = await b.post("/subscription/top-up", { _csrf: csrfOf(page.text), orders: "0" });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="orders-n" name="orders" type="number"[^>]*value="0"[^>]*aria-invalid="true" aria-describedby="orders-error"/);
    expect(bad.text).toContain('<p class="field-error" id="orders-error">');
  });

  it("errors are tied to their fields, tables become cards on phones, dates are Danish, the menu is one compact row", async () => {
    const { b, tenantId } = await signedInOwner();
    const page = await b.get("/users");
    const bad = await b.post("/users", { _csrf: csrfOf(page.text), email: "ikke-en-mail", role: "member" });
    expect(bad.text).toMatch(/id="email"[^>]*aria-describedby="email-error"/);
    const i = await createIntegration(tenantId, { shop: { module: "shopify", settings: {} }, accounting: { module: "economic", settings: {} } });
    const setup = await b.get(`/integrations/${i.id}`);
    const s = await b.post(`/integrations/${i.id}/settings`, { _csrf: csrfOf(setup.text), "accounting.layoutNumber": "x" });
    expect(s.text).toMatch(/name="accounting.layoutNumber"[^>]*aria-invalid="true" aria-describedby="f-accounting-layoutNumber-error"/);
    expect(s.text).toMatch(/<p class="field-error" id="f-accounting-layoutNumber-error">/);
    const css = await (await call("GET", "/assets/app.css", undefined, null)).text;
    expect(css).toMatch(/@media\(max-width:600px\)\{[^]*table\.cards td\[data-label\]::before\{content:attr\(data-label\)/);
    expect(css).toContain("header .muted{color:#c3ccd8}"); // the header e-mail at AA contrast on the dark header
    const month = new Intl.DateTimeFormat("da-DK", { timeZone: "Europe/Copenhagen", month: "long", year: "numeric" }).format(new Date());
    expect((await b.get("/home")).text).toContain(`Forbrug denne måned (${month})`);
    const list = await b.get("/integrations");
    expect(list.text).toContain('<nav class="nav" aria-label="Menu">');
    expect(list.text).toMatch(/<td data-label="Webshop">Shopify<\/td>/);
  });
});
