/**
 * Connect flows (R26): the merchant presses Connect, approves in the other system, and comes back; nobody
 * copies a token. Each `start` needs a signed-in owner of the integration's tenant (a member: 403, no
 * state issued; another tenant's integration: 404); each callback takes its one-time state (states.ts) and
 * stores nothing unless every check passes (a bad state: 400; a refused token: 400).
 *
 * e-conomic: the app installation link (`requestaccess.aspx` with the operator's ECONOMIC_APP_PUBLIC_TOKEN)
 * sends the merchant back with `?token=<agreement grant token>`; the token is checked with `GET /self` and
 * stored (encrypted) as `agreementGrantToken`, with the agreement's name as the connection's account.
 */
import { audit } from "../db/audit";
import { eq } from "drizzle-orm";
import type { Hono } from "hono";
import { getDb } from "../db/client";
import { integrations } from "../db/schema";
import { TransferError } from "../domain/errors";
import { loadIntegration, mergeSettings, type Integration } from "../integrations/store";
import { ApiError, errorBody, invalid } from "../lib/errors";
import { outboundFetch } from "../lib/outbound";
import { nowIso } from "../domain/calendar";
import { EconomicClient } from "../modules/economic/client";
import { type PageContext, type PagesEnv } from "../pages/auth";
import { requireUser } from "../pages/guard";
import { tenantIntegration } from "../pages/integrations";
import { Flash, render, tr } from "../pages/layout";
import { exchangeCode, registerWebhooks, SHOP_DOMAIN, shopifyApp, shopName, adminOrigin, verifyShopifyQuery } from "./shopify";
import { issueState, sessionHash, takeState, type Provider } from "./states";
import { consentKeys, ensureWooWebhooks, newWebhookSecret } from "./woocommerce";
import { connectionRestored } from "../notify";
import { connectDinero, dineroAuthorizeUrl } from "./dinero";
import type { DineroEnv } from "../modules/dinero/auth";

const publicUrl = (c: PageContext) => (c.env.PUBLIC_URL ?? new URL(c.req.url).origin).replace(/\/+$/, "");

/** The integration a `start` is for: the owner's own, with the right module on that side. */
async function startable(c: PageContext, side: "shop" | "accounting", module: string) {
  if (c.get("user").role !== "owner") throw new ApiError(403, "forbidden", tr(c).lang === "da" ? "Kun en ejer kan forbinde en integration." : "Only an owner can connect an integration.");
  const row = await tenantIntegration(c, c.req.query("integrationId") ?? "");
  if ((side === "shop" ? row.shopModule : row.accountingModule) !== module)
    throw invalid(`This integration does not use ${module}`, { issues: [{ path: "integrationId", message: `the ${side} module is not ${module}` }] });
  return row;
}

/** A callback that cannot be taken: a page in the merchant's language saying what to do, and nothing stored. */
function refused(c: PageContext, status: 400 | 401, reason: string) {
  const t = tr(c);
  return render(c, t.t("error"), <><h1>{t.lang === "da" ? "Forbindelsen blev ikke oprettet" : "The connection was not made"}</h1><Flash text={reason} error /></>, { status });
}

export function connectRoutes(app: Hono<PagesEnv>) {
  for (const p of ["/connect/economic/start", "/connect/shopify/start", "/connect/woocommerce/start", "/connect/dinero/start"]) app.use(p, requireUser);

  // ---- WooCommerce ----
  app.get("/connect/woocommerce/start", async (c) => {
    const row = await startable(c, "shop", "woocommerce");
    const siteUrl = String(row.shopSettings.siteUrl ?? "").replace(/\/+$/, "");
    if (!siteUrl)
      throw invalid(tr(c).lang === "da" ? "Angiv først butikkens adresse (fx https://din-butik.dk)." : "First enter the shop's address (e.g. https://your-shop.com).", { issues: [{ path: "shop.settings.siteUrl", message: "missing" }] });
    const state = await issueState(getDb(c.env), c, "woocommerce", row.id);
    const q = new URLSearchParams({
      app_name: "orderbridge",
      scope: "read_write",
      user_id: state,
      return_url: `${publicUrl(c)}/integrations/${row.id}`,
      callback_url: `${publicUrl(c)}/connect/woocommerce/callback`,
    });
    return c.redirect(`${siteUrl}/wc-auth/v1/authorize?${q}`, 302);
  });

  // Server to server: WooCommerce posts the keys; the state alone identifies the flow (no browser session).
  app.post("/connect/woocommerce/callback", async (c) => {
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      return c.json(errorBody("invalid_request", "The body is not JSON"), 400);
    }
    const keys = consentKeys(body);
    if (!keys) return c.json(errorBody("invalid_request", "Expected WooCommerce's read_write keys: consumer_key, consumer_secret, user_id, key_permissions"), 400);
    const taken = await takeState(getDb(c.env), "woocommerce", keys.state, undefined);
    if (!taken) return c.json(errorBody("invalid_request", "Unknown, used or expired state"), 400);
    const row = await loadIntegration(c.env, taken.integrationId);
    if (!row || row.tenantId !== taken.tenantId || row.shopModule !== "woocommerce") return c.json(errorBody("invalid_request", "The integration no longer exists"), 400);
    const siteUrl = String(row.shopSettings.siteUrl ?? "");
    const webhookSecret = newWebhookSecret();
    try {
      await ensureWooWebhooks(outboundFetch, c.env, siteUrl, keys, `${publicUrl(c)}/webhooks/woocommerce/${row.id}`, webhookSecret);
    } catch (e) {
      // Nothing is stored: the merchant presses Connect again.
      return c.json(errorBody("shop_unavailable", `The keys were received but the webhooks could not be created: ${e instanceof Error ? e.message : String(e)}`), 502);
    }
    await storeConnection(c.env, row, "shop", { consumerKey: keys.consumerKey, consumerSecret: keys.consumerSecret, webhookSecret }, siteUrl, taken.userId, "connection.woocommerce", { siteUrl });
    return c.json({ ok: true }, 200);
  });

  const notConfigured = (c: PageContext, what: string) =>
    new ApiError(503, "not_configured", tr(c).lang === "da" ? `Forbindelse med et klik er ikke sat op hos orderbridge (${what} mangler). Indtast adgangsoplysningerne under Avanceret, eller kontakt support.` : `One-click connection is not set up for orderbridge (${what} is missing). Enter the credentials under Advanced, or contact support.`);

  // ---- Shopify ----
  app.get("/connect/shopify/start", async (c) => {
    const row = await startable(c, "shop", "shopify");
    const app = shopifyApp(c.env);
    if (!app) throw notConfigured(c, "SHOPIFY_API_KEY / SHOPIFY_API_SECRET");
    const shop = String(row.shopSettings.shopDomain ?? "");
    if (!SHOP_DOMAIN.test(shop))
      throw invalid(tr(c).lang === "da" ? "Angiv først butikkens myshopify-domæne (fx din-butik.myshopify.com)." : "First enter the shop's myshopify domain (e.g. your-shop.myshopify.com).", { issues: [{ path: "shop.settings.shopDomain", message: "missing" }] });
    const state = await issueState(getDb(c.env), c, "shopify", row.id);
    const q = new URLSearchParams({ client_id: app.key, scope: app.scopes, redirect_uri: `${publicUrl(c)}/connect/shopify/callback`, state });
    return c.redirect(`${adminOrigin(c.env, shop)}/admin/oauth/authorize?${q}`, 302);
  });

  // An install started in Shopify's admin: verified, then the merchant signs in and picks the integration.
  app.get("/connect/shopify", async (c) => {
    const app = shopifyApp(c.env);
    if (!app) throw notConfigured(c, "SHOPIFY_API_KEY / SHOPIFY_API_SECRET");
    const query = new URL(c.req.url).searchParams;
    if (!(await verifyShopifyQuery(query, app.secret))) return refused(c, 401, tr(c).lang === "da" ? "Forespørgslen fra Shopify kunne ikke bekræftes." : "The request from Shopify could not be verified.");
    if (!SHOP_DOMAIN.test(query.get("shop") ?? ""))
      return refused(c, 400, tr(c).lang === "da" ? "Butikkens adresse er ikke en myshopify.com-adresse. Start installationen igen fra Shopify." : "The shop is not a myshopify.com address. Start the install again from Shopify.");
    return c.redirect(`/integrations?connectShop=${encodeURIComponent(query.get("shop")!)}`, 302);
  });

  app.get("/connect/shopify/callback", async (c) => {
    const da = tr(c).lang === "da";
    const app = shopifyApp(c.env);
    if (!app) throw notConfigured(c, "SHOPIFY_API_KEY / SHOPIFY_API_SECRET");
    const query = new URL(c.req.url).searchParams;
    // The signature first, over the raw query: nothing is looked up or used before it holds.
    if (!(await verifyShopifyQuery(query, app.secret))) return refused(c, 401, da ? "Svaret fra Shopify kunne ikke bekræftes. Tryk på Forbind igen." : "Shopify's answer could not be verified. Press Connect again.");
    const shop = query.get("shop") ?? "";
    if (!SHOP_DOMAIN.test(shop)) return refused(c, 400, da ? "Butikkens adresse er ikke en myshopify.com-adresse." : "The shop is not a myshopify.com address.");
    const session = await sessionHash(c);
    const taken = session ? await takeState(getDb(c.env), "shopify", query.get("state"), session) : null;
    if (!taken) return refused(c, 400, da ? "Linket er udløbet eller allerede brugt. Tryk på Forbind igen fra integrationens side." : "The link has expired or was already used. Press Connect again on the integration's page.");
    const row = await loadIntegration(c.env, taken.integrationId);
    if (!row || row.tenantId !== taken.tenantId || row.shopModule !== "shopify") return refused(c, 400, da ? "Integrationen findes ikke længere." : "The integration no longer exists.");
    if (String(row.shopSettings.shopDomain ?? "").toLowerCase() !== shop.toLowerCase())
      return refused(c, 400, da ? `Du godkendte butikken ${shop}, men integrationen er sat op til ${String(row.shopSettings.shopDomain)}.` : `You approved the shop ${shop}, but the integration is set up for ${String(row.shopSettings.shopDomain)}.`);
    const code = query.get("code") ?? "";
    if (!/^[A-Za-z0-9_-]{4,200}$/.test(code)) return refused(c, 400, da ? "Shopify sendte ingen gyldig kode." : "Shopify sent no valid code.");
    let account: string;
    let token;
    try {
      token = await exchangeCode(outboundFetch, c.env, shop, code);
      account = await shopName(outboundFetch, c.env, shop, token.accessToken);
      await registerWebhooks(outboundFetch, c.env, shop, token.accessToken, `${publicUrl(c)}/webhooks/shopify/${row.id}`);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return refused(c, 400, da ? `Shopify afviste forbindelsen (${message}). Prøv igen.` : `Shopify refused the connection (${message}). Please try again.`);
    }
    await storeConnection(c.env, row, "shop", {
      accessToken: token.accessToken,
      ...(token.refreshToken ? { refreshToken: token.refreshToken } : {}),
      ...(token.expiresAt ? { accessTokenExpiresAt: token.expiresAt } : {}),
    }, account, taken.userId, "connection.shopify", { shop, account });
    return c.redirect(`/integrations/${row.id}`, 303);
  });

  // ---- Dinero (Visma Connect) ----
  app.get("/connect/dinero/start", async (c) => {
    const row = await startable(c, "accounting", "dinero");
    const env = c.env as DineroEnv;
    if (!env.DINERO_CLIENT_ID || !env.DINERO_CLIENT_SECRET) throw notConfigured(c, "DINERO_CLIENT_ID / DINERO_CLIENT_SECRET");
    const state = await issueState(getDb(c.env), c, "dinero", row.id);
    return c.redirect(dineroAuthorizeUrl(env, env.DINERO_CLIENT_ID, `${publicUrl(c)}/connect/dinero/callback`, state, tr(c).lang), 302);
  });

  // Visma posts the code cross-site (response_mode=form_post): no session cookie, the state names the flow.
  app.post("/connect/dinero/callback", async (c) => {
    const da = tr(c).lang === "da";
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const taken = await takeState(getDb(c.env), "dinero", form.state, undefined);
    if (!taken) return refused(c, 400, da ? "Linket er udløbet eller allerede brugt. Tryk på Forbind Dinero igen fra integrationens side." : "The link has expired or was already used. Press Connect Dinero again on the integration's page.");
    const row = await loadIntegration(c.env, taken.integrationId);
    if (!row || row.tenantId !== taken.tenantId || row.accountingModule !== "dinero") return refused(c, 400, da ? "Integrationen findes ikke længere." : "The integration no longer exists.");
    const code = typeof form.code === "string" ? form.code : "";
    if (!/^[A-Za-z0-9._~+/=-]{4,2000}$/.test(code)) {
      const why = typeof form.error === "string" ? ` (${form.error})` : "";
      return refused(c, 400, da ? `Dinero sendte ingen godkendelse${why}. Tryk på Forbind Dinero igen.` : `Dinero sent no approval${why}. Press Connect Dinero again.`);
    }
    let connection;
    try {
      const orgId = row.accountingSettings.organizationId;
      connection = await connectDinero(c.env as DineroEnv, outboundFetch, code, `${publicUrl(c)}/connect/dinero/callback`, orgId === undefined ? undefined : String(orgId), da);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return refused(c, 400, da ? `Dinero afviste forbindelsen: ${message}` : `Dinero refused the connection: ${message}`);
    }
    await storeConnection(c.env, row, "accounting", { refreshToken: connection.refreshToken, organizationId: connection.organizationId, organizationName: connection.organizationName }, `${connection.organizationName} (${connection.organizationId})`, taken.userId, "connection.dinero", { organizationId: connection.organizationId });
    return c.redirect(`/integrations/${row.id}`, 303);
  });

  app.get("/connect/economic/start", async (c) => {
    const row = await startable(c, "accounting", "economic");
    const appPublicToken = (c.env as Env & { ECONOMIC_APP_PUBLIC_TOKEN?: string }).ECONOMIC_APP_PUBLIC_TOKEN;
    if (!appPublicToken) throw new ApiError(503, "not_configured", tr(c).lang === "da" ? "Forbindelse til e-conomic med et klik er ikke sat op hos orderbridge (ECONOMIC_APP_PUBLIC_TOKEN mangler). Indtast aftale-token under Avanceret, eller kontakt support." : "One-click e-conomic connection is not set up for orderbridge (ECONOMIC_APP_PUBLIC_TOKEN is missing). Enter the agreement grant token under Advanced, or contact support.");
    const state = await issueState(getDb(c.env), c, "economic", row.id);
    const origin = ((c.env as Env & { ECONOMIC_CONNECT_URL?: string }).ECONOMIC_CONNECT_URL || "https://secure.e-conomic.com").replace(/\/+$/, "");
    const redirectUrl = `${publicUrl(c)}/connect/economic/callback?state=${encodeURIComponent(state)}`;
    const url = `${origin}/secure/api1/requestaccess.aspx?appPublicToken=${encodeURIComponent(appPublicToken)}&redirectUrl=${encodeURIComponent(redirectUrl)}&locale=${tr(c).lang === "da" ? "da-DK" : "en-GB"}`;
    return c.redirect(url, 302);
  });

  app.get("/connect/economic/callback", async (c) => {
    const t = tr(c);
    const da = t.lang === "da";
    const session = await sessionHash(c);
    // Bound to the session that started it: without that session's cookie the state is not taken.
    const taken = session ? await takeState(getDb(c.env), "economic", c.req.query("state"), session) : null;
    if (!taken) return refused(c, 400, da ? "Linket er udløbet eller allerede brugt. Tryk på Forbind igen fra integrationens side." : "The link has expired or was already used. Press Connect again on the integration's page.");
    const token = c.req.query("token") ?? "";
    const row = await loadIntegration(c.env, taken.integrationId);
    if (!row || row.tenantId !== taken.tenantId || row.accountingModule !== "economic") return refused(c, 400, da ? "Integrationen findes ikke længere." : "The integration no longer exists.");
    if (!/^[A-Za-z0-9_-]{8,200}$/.test(token)) return refused(c, 400, da ? "e-conomic sendte ikke et gyldigt aftale-token. Prøv igen." : "e-conomic did not send a valid agreement grant token. Please try again.");
    let account: string;
    try {
      account = await economicAgreement(c.env, token);
    } catch (e) {
      const message = e instanceof TransferError ? e.message : String(e);
      return refused(c, 400, da ? `e-conomic afviste forbindelsen (${message}). Prøv igen, og tjek at du er administrator på aftalen.` : `e-conomic refused the connection (${message}). Try again, and check that you are an administrator of the agreement.`);
    }
    await storeConnection(c.env, row, "accounting", { agreementGrantToken: token }, account, taken.userId, "connection.economic", { account });
    return c.redirect(`/integrations/${row.id}`, 303);
  });
}

/**
 * A connect flow's result, stored at once: the credentials it brought (merged and encrypted as typed
 * settings would be), the side's connection (connected via oauth, as which account, since when) and the
 * audit row naming the user who started it.
 */
async function storeConnection(env: Env, row: Integration, side: "shop" | "accounting", credentials: Record<string, unknown>, account: string, userId: string, action: string, details: Record<string, unknown>) {
  const merged = await mergeSettings(env, row, side, credentials);
  const at = nowIso();
  const connection = { status: "connected" as const, via: "oauth" as const, checkedAt: at, connectedAt: at, account };
  const db = getDb(env);
  await db.batch([
    db
      .update(integrations)
      .set(side === "shop" ? { shopSettings: merged.settings, shopSecrets: merged.secrets, shopConnection: connection, updatedAt: at } : { accountingSettings: merged.settings, accountingSecrets: merged.secrets, accountingConnection: connection, updatedAt: at })
      .where(eq(integrations.id, row.id)),
    audit(db, { actor: `user:${userId}`, action, target: { type: "integration", id: row.id, tenantId: row.tenantId }, details }),
  ]);
  await connectionRestored(env, row.id, side);
}

/** Checks a grant token with `GET /self`; the agreement's name and number ("Demo ApS (aftale 123456)"). */
export async function economicAgreement(env: Env, grantToken: string): Promise<string> {
  if (!env.ECONOMIC_APP_SECRET_TOKEN) throw new TransferError("accounting_auth_failed", "ECONOMIC_APP_SECRET_TOKEN is not configured");
  const client = new EconomicClient({ baseUrl: env.ECONOMIC_API_URL || "https://restapi.e-conomic.com", appSecretToken: env.ECONOMIC_APP_SECRET_TOKEN, agreementGrantToken: grantToken, fetch: outboundFetch });
  const self = await client.get<{ agreementNumber?: number; company?: { name?: string } }>("/self");
  return `${self.company?.name ?? "e-conomic"}${self.agreementNumber ? ` (${self.agreementNumber})` : ""}`;
}

export type { Provider };
