import { afterEach, describe, expect, it } from "vitest";
import { setOutboundFetch } from "../../src/lib/outbound";
import { FakeEconomic } from "../fakes/economic";
import { call, createIntegration, economicSettingsComplete } from "../helpers";
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

  it("e-conomic choices are dropdowns read from the merchant's agreement once a grant token is set, read once and kept; number boxes when it cannot be read", async () => {
    const fake = new FakeEconomic({ agreementGrantToken: economicSettingsComplete.agreementGrantToken, products: [{ productNumber: "SHIP", name: "Fragt", salesPrice: 39, productGroup: { productGroupNumber: 1 } }] });
    setOutboundFetch(fake.fetch);
    const { b, tenantId } = await signedInOwner();
    const bare = await createIntegration(tenantId, { shop: { module: "sandbox", settings: {} }, accounting: { module: "economic", settings: {} } });
    const before = await b.get(`/integrations/${bare.id}`);
    expect(before.text).toMatch(/<input id="f-accounting-layoutNumber" name="accounting.layoutNumber" type="text" inputmode="numeric"/);
    expect(fake.requests()).toHaveLength(0); // no grant token: nothing to read with

    const i = await createIntegration(tenantId, { shop: { module: "sandbox", settings: {} }, accounting: { module: "economic", settings: { ...economicSettingsComplete, layoutNumber: 21 } } });
    const page = await b.get(`/integrations/${i.id}`);
    expect(page.text).toMatch(/<select id="f-accounting-layoutNumber" name="accounting.layoutNumber"[^>]*data-choices="agreement"><option value="">\(ikke sat\)<\/option><option value="19">Standardlayout \(19\)<\/option><option value="21" selected="">Layout med logo \(21\)<\/option>/);
    expect(page.text).toContain('<option value="1" selected="">Netto 8 dage (1)</option>');
    expect(page.text).toContain('<option value="1" selected="">Indenlandske kunder (1)</option>');
    expect(page.text).toMatch(/name="accounting.vatZones.eu"[^]*?<option value="2" selected="">EU \(2\)<\/option>/);
    expect(page.text).toContain('<option value="SHIP" selected="">Fragt (SHIP)</option>');
    const reads = fake.requests("GET", "/layouts").length;
    expect(reads).toBe(1);
    await b.get(`/integrations/${i.id}`);
    expect(fake.requests("GET", "/layouts")).toHaveLength(reads); // kept, not read per page view
    // A choice posted from the dropdown is saved as the number.
    const saved = await b.post(`/integrations/${i.id}/settings`, { _csrf: csrfOf(page.text), "accounting.paymentTermsNumber": "2" });
    expect(saved.status).toBe(303);
    expect((await call("GET", `/api/staff/integrations/${i.id}`)).json.accounting.settings.paymentTermsNumber).toBe(2);

    // e-conomic cannot be read (and nothing is kept yet): number boxes, and the page says why.
    const other = await createIntegration(tenantId, { shop: { module: "sandbox", settings: {} }, accounting: { module: "economic", settings: economicSettingsComplete } });
    setOutboundFetch(async () => new Response("{}", { status: 503, headers: { "content-type": "application/json" } }));
    const down = await b.get(`/integrations/${other.id}`);
    expect(down.status).toBe(200);
    expect(down.text).toContain("Vi kunne ikke læse valgmulighederne fra e-conomic lige nu");
    expect(down.text).toMatch(/<input id="f-accounting-layoutNumber" name="accounting.layoutNumber" type="text" inputmode="numeric" value="19"/);
  });
});
