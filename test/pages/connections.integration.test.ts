import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setOutboundFetch } from "../../src/lib/outbound";
import { fakeShopifyApp } from "../fakes/shopify-app";
import { createIntegration } from "../helpers";
import { connectedShop } from "../connect/shopify-helpers";
import { signedInOwner } from "./helpers";

let shopify: ReturnType<typeof fakeShopifyApp>;
beforeEach(() => {
  shopify = fakeShopifyApp();
  setOutboundFetch(shopify.fetch);
});
afterEach(() => setOutboundFetch());

/** The part of the page between an element's id and the end of the card it opens. */
const section = (html: string, id: string) => {
  const i = html.indexOf(`id="${id}"`);
  expect(i, `no #${id}`).toBeGreaterThan(-1);
  return html.slice(i, html.indexOf("</details>", i) > -1 ? html.indexOf("</details>", i) : undefined);
};

describe("settings page: connections (R26)", () => {
  it("a side not yet connected shows its state and a Connect button; the typed credentials are the advanced path", async () => {
    const { b, tenantId } = await signedInOwner();
    const i = await createIntegration(tenantId, { shop: { module: "shopify", settings: { shopDomain: "demo-shop.myshopify.com" } }, accounting: { module: "economic", settings: {} } });
    const page = (await b.get(`/integrations/${i.id}`)).text;
    expect(page).toMatch(/id="connection-shop" data-status="not_connected"/);
    expect(page).toMatch(/id="connection-accounting" data-status="not_connected"/);
    expect(page).toContain(`id="connect-shopify" href="/connect/shopify/start?integrationId=${i.id}">Forbind Shopify<`);
    expect(page).toContain(`id="connect-economic" href="/connect/economic/start?integrationId=${i.id}">Forbind e-conomic<`);
    // Secrets inside <details>, the shop domain (needed to connect) outside.
    const advanced = section(page, "advanced-shop");
    expect(advanced).toContain('name="shop.accessToken"');
    expect(advanced).toContain('name="shop.webhookSecret"');
    expect(advanced).not.toContain('name="shop.shopDomain"');
    expect(page).toContain('name="shop.shopDomain"');
    expect(section(page, "advanced-accounting")).toContain('name="accounting.agreementGrantToken"');
    expect(page).toContain("Avanceret: indtast adgangsoplysninger selv");
    const en = (await b.get(`/integrations/${i.id}?lang=en`)).text;
    expect(en).toContain(">Connect Shopify<");
    expect(en).toContain("Advanced: enter the credentials yourself");
    expect(en).toContain("Not connected");
  });

  it("WooCommerce and Dinero have their Connect buttons; a module without a connect flow shows no button and no advanced section", async () => {
    const { b, tenantId } = await signedInOwner();
    const woo = await createIntegration(tenantId, { shop: { module: "woocommerce", settings: { siteUrl: "https://shop.example.com" } }, accounting: { module: "dinero", settings: {} } });
    const page = (await b.get(`/integrations/${woo.id}`)).text;
    expect(page).toContain(`id="connect-woocommerce" href="/connect/woocommerce/start?integrationId=${woo.id}">Forbind WooCommerce<`);
    expect(page).toContain(`id="connect-dinero" href="/connect/dinero/start?integrationId=${woo.id}">Forbind Dinero<`);
    expect(section(page, "advanced-shop")).toContain('name="shop.consumerKey"');
    const sandbox = await createIntegration(tenantId, { shop: { module: "sandbox", settings: {} }, accounting: { module: "sandbox", settings: {} } });
    const plain = (await b.get(`/integrations/${sandbox.id}`)).text;
    expect(plain).toMatch(/id="connection-shop" data-status="connected"/);
    expect(plain).not.toContain('id="connect-');
    expect(plain).not.toContain("<details");
  });

  it("a connected shop shows as which shop and since when, a Reconnect button, webhooks set up by the connection, and no token", async () => {
    const { b, integration } = await connectedShop(shopify.approve);
    const page = (await b.get(`/integrations/${integration.id}`)).text;
    expect(page).toMatch(/id="connection-shop" data-status="connected"/);
    expect(page).toContain("forbundet som Demo Butik");
    expect(page).toMatch(/, siden \d+\. \w+ \d{4}/);
    expect(page).toContain(">Forbind Shopify igen<");
    expect(page).toContain("Webhooks oprettes af forbindelsen");
    expect(page).not.toMatch(/shpat_|shprt_/);
    // What the connection records is not a field anyone types.
    expect(page).not.toContain('name="shop.accessTokenExpiresAt"');
    const en = (await b.get(`/integrations/${integration.id}?lang=en`)).text;
    expect(en).toContain("connected as Demo Butik");
    expect(en).toContain(">Reconnect Shopify<");
  });
});
