/**
 * The external systems of the end-to-end test, served over node:http so that `wrangler dev` reaches them
 * (as scripts/bench.ts serves the e-conomic fake): the Shopify app fake (OAuth authorize page, access_token,
 * GraphQL webhooks), a WooCommerce (wc-auth consent page, REST webhooks) and e-conomic (requestaccess.aspx
 * page, the REST API). Each consent page has one button (#approve), as the merchant presses it in the real
 * system. The fakes' own checks apply; `shopifyWebhook` and `wooOrder` deliver as the shops would.
 */
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { FakeEconomic } from "../test/fakes/economic";
import { fakeShopifyApp } from "../test/fakes/shopify-app";
import { fakeWooConsent } from "../test/fakes/woocommerce-auth";

export const SHOPIFY_KEY = "test-shopify-client-id";
export const SHOPIFY_SECRET = "test-shopify-app-secret";
export const ECONOMIC_PUBLIC = "e2e-app-public-token";
export const ECONOMIC_GRANT = "e2e-grant-from-install";

const page = (title: string, body: string) =>
  new Response(`<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`, { headers: { "content-type": "text/html; charset=utf-8" } });
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

export async function startFakes(products: string[]) {
  const shopify = fakeShopifyApp({ clientId: SHOPIFY_KEY, clientSecret: SHOPIFY_SECRET, allowHttpLocal: true });
  const woo = fakeWooConsent({ allowHttpLocal: true });
  const economic = new FakeEconomic({ agreementGrantToken: ECONOMIC_GRANT, products: products.map((productNumber) => ({ productNumber, name: productNumber, salesPrice: 100, productGroup: { productGroupNumber: 1 } })) });
  let origin = "";

  async function route(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const q = url.searchParams;
    // Shopify: the merchant approves the app; Shopify redirects back with a code, signed (sorted query, hex HMAC).
    if (url.pathname === "/admin/oauth/authorize") {
      if (q.get("client_id") !== SHOPIFY_KEY || !q.get("redirect_uri") || !q.get("state")) return new Response("Oauth error invalid_request: The redirect_uri is missing or not whitelisted", { status: 400 });
      const shop = "e2e-shop.myshopify.com";
      const params: Record<string, string> = { code: shopify.approve(), shop, state: q.get("state")!, timestamp: String(Math.floor(Date.now() / 1000)) };
      const message = Object.keys(params).sort().map((k) => `${k}=${params[k]}`).join("&");
      const back = `${q.get("redirect_uri")}?${new URLSearchParams({ ...params, hmac: createHmac("sha256", SHOPIFY_SECRET).update(message).digest("hex") })}`;
      return page("Install orderbridge", `<p>orderbridge wants: ${esc(q.get("scope") ?? "")}</p><a id="approve" href="${esc(back)}">Install app</a>`);
    }
    if (url.pathname.startsWith("/admin/")) return shopify.fetch(req);
    // WooCommerce: the consent screen; approving posts the keys to the callback, then the browser goes back.
    if (url.pathname === "/wc-auth/v1/authorize") {
      const problem = woo.checkAuthorize(q);
      if (problem) return new Response(problem, { status: 400 });
      return page(`${esc(q.get("app_name")!)} would like to connect to your store`, `<a id="approve" href="/wc-auth/v1/access_granted?${esc(q.toString())}">Approve</a>`);
    }
    if (url.pathname === "/wc-auth/v1/access_granted") return Response.redirect(await woo.approve(q, fetch), 302);
    if (url.pathname.startsWith("/wp-json/")) return woo.fetch(req);
    // e-conomic: the installation link; "Tilføj app" returns to redirectUrl with the grant token.
    if (url.pathname === "/secure/api1/requestaccess.aspx") {
      if (q.get("appPublicToken") !== ECONOMIC_PUBLIC || !q.get("redirectUrl")) return new Response("Ugyldig app", { status: 400 });
      const back = new URL(q.get("redirectUrl")!);
      back.searchParams.set("token", ECONOMIC_GRANT);
      return page("Tilføj app: orderbridge", `<a id="approve" href="${esc(back.toString())}">Tilføj app</a>`);
    }
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
    return economic.fetch(new Request(`${economic.origin}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, body }));
  }

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const body = chunks.length && req.method !== "GET" ? Buffer.concat(chunks) : undefined;
    try {
      const answer = await route(new Request(`${origin}${req.url}`, { method: req.method, headers, body }));
      res.writeHead(answer.status, Object.fromEntries(answer.headers));
      res.end(Buffer.from(await answer.arrayBuffer()));
    } catch (e) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(e instanceof Error ? e.stack : e));
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  /** A POST as Shopify signs it (base64 HMAC of the raw body with the app secret). */
  async function shopifyPost(url: string, topic: string, payload: unknown) {
    const body = JSON.stringify(payload);
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-shopify-topic": topic,
        "x-shopify-hmac-sha256": createHmac("sha256", SHOPIFY_SECRET).update(body).digest("base64"),
        "x-shopify-shop-domain": "e2e-shop.myshopify.com",
        "x-shopify-event-id": crypto.randomUUID(),
        "x-shopify-webhook-id": crypto.randomUUID(),
      },
      body,
    });
    return res.status;
  }
  /** Shopify delivering a webhook of `topic` (GraphQL enum value) to its subscription. */
  async function shopifyWebhook(topic: string, payload: unknown) {
    const sub = shopify.webhooks.find((w) => w.topic === topic);
    if (!sub) throw new Error(`no subscription for ${topic}`);
    return shopifyPost(sub.uri, topic.toLowerCase().replace("_", "/"), payload);
  }
  /** A compliance webhook (`customers/redact`, …) to the app's configured compliance address. */
  const shopifyCompliance = (url: string, topic: string, payload: unknown) => shopifyPost(url, topic, payload);
  const wooOrder = (order: unknown) => woo.deliver(fetch, order);
  const close = () => new Promise<void>((r) => server.close(() => r()));
  return { origin, shopify, woo, economic, shopifyWebhook, shopifyCompliance, wooOrder, close };
}
