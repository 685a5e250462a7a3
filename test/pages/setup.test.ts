import { afterEach, describe, expect, it } from "vitest";
import { setOutboundFetch } from "../../src/lib/outbound";
import { call, createIntegration } from "../helpers";
import { csrfOf, signedInOwner } from "./helpers";

afterEach(() => setOutboundFetch());

describe("settings page: guided setup", () => {
  it("order states are ticked by their Danish names; a value the shop does not know is refused in words, with the ticks kept", async () => {
    const { b, tenantId } = await signedInOwner();
    const i = await createIntegration(tenantId, { shop: { module: "woocommerce", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    const page = await b.get(`/integrations/${i.id}`);
    expect(page.text).toMatch(/<input type="checkbox" name="shop.allowedStatuses" value="processing" checked=""\/> Behandler/);
    expect(page.text).toMatch(/value="on-hold"\/> Afventer</);
    const bad = await b.post(`/integrations/${i.id}/settings`, { _csrf: csrfOf(page.text), "shop.allowedStatuses": ["", "completed", "behandler"], "shop.siteUrl": "https://butik.example.com" });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("Vælg en af mulighederne på listen.");
    expect(bad.text).toMatch(/<fieldset id="f-shop-allowedStatuses" aria-describedby="f-shop-allowedStatuses-error"/);
    expect(bad.text).toMatch(/value="completed" checked=""\/> Gennemført/);
    expect(bad.text).toMatch(/value="processing"\/> Behandler/); // unticked, as posted
    expect(bad.text).toContain('value="https://butik.example.com"');
    expect((await call("GET", `/api/staff/integrations/${i.id}`)).json.shop.settings.allowedStatuses).toEqual(["processing", "completed", "refunded"]);
    // The staff API refuses the unknown state too.
    const api = await call("PATCH", `/api/staff/integrations/${i.id}`, { shop: { settings: { allowedStatuses: ["behandler"] } } });
    expect(api.status).toBe(400);
    // Ticking none is a choice the form can make (the hidden marker), and is stored as such.
    const none = await b.post(`/integrations/${i.id}/settings`, { _csrf: csrfOf(page.text), "shop.allowedStatuses": "" });
    expect(none.status).toBe(303);
    expect((await call("GET", `/api/staff/integrations/${i.id}`)).json.shop.settings.allowedStatuses).toEqual([]);
  });

  it("one \"Gem og aktivér\" saves, reads both sides and activates; a shop that cannot be read is told, nothing is activated and the input stays", async () => {
    const { b, tenantId } = await signedInOwner();
    const i = await createIntegration(tenantId, { shop: { module: "woocommerce", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    const page = await b.get(`/integrations/${i.id}`);
    expect(page.text).toContain(">Gem og aktivér</button>");
    expect(page.text).not.toContain(`action="/integrations/${i.id}/activate"`); // no separate form that drops the input
    const shopCalls: string[] = [];
    setOutboundFetch(async (input) => {
      shopCalls.push(String(input instanceof Request ? input.url : input));
      return new Response("<html>Bad gateway</html>", { status: 502, headers: { "content-type": "text/html" } });
    });
    const form = {
      _csrf: csrfOf(page.text),
      intent: "activate",
      "shop.siteUrl": "https://dead-shop.example.com",
      "shop.consumerKey": "ck_live",
      "shop.consumerSecret": "cs_live",
      "shop.webhookSecret": "whsec",
      "shop.allowedStatuses": ["", "processing", "completed"],
    };
    const refused = await b.post(`/integrations/${i.id}/settings`, form);
    expect(refused.status).toBe(422);
    expect(shopCalls.some((u) => u.startsWith("https://dead-shop.example.com/"))).toBe(true);
    expect(refused.text).toContain("Integrationen er ikke aktiveret: webshoppen kunne ikke læses. Indstillingerne er gemt.");
    expect(refused.text).toContain("Tjek webshoppens adresse og adgang i integrationen");
    expect(refused.text).toContain('value="https://dead-shop.example.com"');
    expect(refused.text).toMatch(/value="processing" checked=""/);
    const api = (await call("GET", `/api/staff/integrations/${i.id}`)).json;
    expect(api.status).toBe("inactive");
    expect(api.shop.settings.siteUrl).toBe("https://dead-shop.example.com");

    // The shop answers: saved, read, activated in one press.
    setOutboundFetch(async () => new Response("[]", { status: 200, headers: { "content-type": "application/json", "x-wp-total": "0", "x-wp-totalpages": "0" } }));
    const ok = await b.post(`/integrations/${i.id}/settings`, { ...form, _csrf: csrfOf(refused.text) });
    expect(ok.status, ok.text.slice(0, 2000)).toBe(303);
    expect((await b.get(ok.location!)).text).toContain("Integrationen er aktiveret.");
    expect((await call("GET", `/api/staff/integrations/${i.id}`)).json.status).toBe("active");
  });

  it("Deaktivér asks first: the button that acts sits behind a disclosure that says what happens", async () => {
    const { b, tenantId } = await signedInOwner();
    const i = await createIntegration(tenantId, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    const page = await b.get(`/integrations/${i.id}`);
    const act = await b.post(`/integrations/${i.id}/settings`, { _csrf: csrfOf(page.text), intent: "activate" });
    expect(act.status).toBe(303);
    const active = await b.get(`/integrations/${i.id}`);
    expect(active.text).toMatch(/<details class="confirm" id="deactivate"><summary class="button secondary">Deaktivér<\/summary><p>Når integrationen er deaktiveret[^<]*<\/p><form method="post" action="\/integrations\/[^"]+\/deactivate">/);
  });
});
