/**
 * A fake Shopify for app install (shopify.dev authorization-code grant, expiring offline tokens,
 * webhookSubscriptionCreate / webhookSubscriptions): codes are single use and bound to the client, a
 * wrong client secret is refused, GraphQL needs the issued token, webhook topics are the enum's values
 * and a second subscription of the same topic and address is refused as Shopify does ("Address for this
 * topic has already been taken"). Expiring offline tokens run out after `expiresIn` seconds (by the fake's
 * clock `now`), and each refresh token works once (Shopify replaces it at every refresh); `revoke()` is
 * an uninstall: every token and refresh token stops working.
 */
import type { FetchFn } from "../../src/lib/outbound";

const TOPICS = new Set(["ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_PAID", "ORDERS_CANCELLED", "REFUNDS_CREATE", "APP_UNINSTALLED"]);

export function fakeShopifyApp(opts: { clientId?: string; clientSecret?: string; shopName?: string; now?: () => number; expiresIn?: number; allowHttpLocal?: boolean } = {}) {
  const now = opts.now ?? Date.now;
  const expiresIn = opts.expiresIn ?? 3600;
  const clientId = opts.clientId ?? "test-shopify-client-id";
  const clientSecret = opts.clientSecret ?? "test-shopify-app-secret";
  const codes = new Set<string>();
  /** Access token → when it runs out (epoch ms; Infinity for a non-expiring one). */
  const tokens = new Map<string, number>();
  const refreshTokens = new Set<string>();
  let refreshes = 0;
  const issue = (expiring: boolean) => {
    const token = `shpat_${crypto.randomUUID().replace(/-/g, "")}`;
    tokens.set(token, expiring ? now() + expiresIn * 1000 : Infinity);
    if (!expiring) return { access_token: token, scope: "read_orders,read_all_orders" };
    const refresh = `shprt_${crypto.randomUUID().replace(/-/g, "")}`;
    refreshTokens.add(refresh);
    return { access_token: token, scope: "read_orders,read_all_orders", expires_in: expiresIn, refresh_token: refresh, refresh_token_expires_in: 7776000 };
  };
  const webhooks: { id: string; topic: string; uri: string }[] = [];
  const log: { path: string; body: any }[] = [];
  const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  const fetch: FetchFn = async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const body: any = req.method === "POST" ? await req.json().catch(() => null) : null;
    log.push({ path: url.pathname, body });
    if (url.pathname === "/admin/oauth/access_token") {
      if (body?.client_id !== clientId || body?.client_secret !== clientSecret) return json({ error: "invalid_client", error_description: "Client authentication failed" }, 401);
      if (body?.grant_type === "refresh_token") {
        refreshes++;
        // Single use: the refresh token is spent whether or not the answer reaches the app.
        if (!refreshTokens.delete(body?.refresh_token)) return json({ error: "invalid_grant", error_description: "The refresh token is invalid, expired or was already used" }, 400);
        return json(issue(true));
      }
      if (!codes.delete(body?.code)) return json({ error: "invalid_request", error_description: "The authorization code was not found or was already used" }, 400);
      return json(issue(body.expiring === 1));
    }
    if (/^\/admin\/api\/[\d-]+\/graphql\.json$/.test(url.pathname)) {
      const until = tokens.get(req.headers.get("x-shopify-access-token") ?? "");
      if (until === undefined || until <= now()) return json({ errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" }, 401);
      const q = String(body?.query ?? "");
      if (q.includes("webhookSubscriptionCreate")) {
        const { topic, webhookSubscription } = body.variables;
        if (!TOPICS.has(topic)) return json({ errors: [{ message: `Variable $topic of type WebhookSubscriptionTopic! was provided invalid value` }] });
        const uri = String(webhookSubscription?.uri ?? "");
        // Shopify needs https; a local test server (the end-to-end test) may be told to take http://localhost.
        if (!/^https:\/\//.test(uri) && !(opts.allowHttpLocal && /^http:\/\/(localhost|127\.0\.0\.1):\d+\//.test(uri))) return json({ data: { webhookSubscriptionCreate: { webhookSubscription: null, userErrors: [{ field: ["webhookSubscription", "uri"], message: "Address is invalid" }] } } });
        if (webhooks.some((w) => w.topic === topic && w.uri === webhookSubscription.uri))
          return json({ data: { webhookSubscriptionCreate: { webhookSubscription: null, userErrors: [{ field: ["webhookSubscription", "uri"], message: "Address for this topic has already been taken" }] } } });
        const w = { id: `gid://shopify/WebhookSubscription/${webhooks.length + 1}`, topic, uri: webhookSubscription.uri };
        webhooks.push(w);
        return json({ data: { webhookSubscriptionCreate: { webhookSubscription: w, userErrors: [] } } });
      }
      if (q.includes("webhookSubscriptions")) return json({ data: { webhookSubscriptions: { nodes: webhooks } } });
      if (/\border\(id:/.test(q)) return json({ data: { order: null } });
      if (/\borders\(/.test(q)) return json({ data: { orders: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] } } });
      if (q.includes("shop {")) return json({ data: { shop: { name: opts.shopName ?? "Demo Butik", myshopifyDomain: "demo-shop.myshopify.com" } } });
    }
    return json({ errors: "Not Found" }, 404);
  };
  /** What Shopify does when the merchant approves: a fresh code for this app. */
  const approve = () => {
    const code = crypto.randomUUID().replace(/-/g, "");
    codes.add(code);
    return code;
  };
  /** The app is uninstalled: Shopify revokes its tokens. */
  const revoke = () => {
    tokens.clear();
    refreshTokens.clear();
  };
  return { fetch, approve, revoke, webhooks, log, tokens, refreshTokens, refreshes: () => refreshes };
}
