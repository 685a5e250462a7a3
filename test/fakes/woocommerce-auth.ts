/**
 * A fake WooCommerce for keys by consent and webhooks (developer.woocommerce.com "Authentication endpoint",
 * REST v3 "Webhooks"): `/wc-auth/v1/authorize` needs app_name, scope, user_id, return_url and an https
 * callback_url (http only to a local address when `allowHttpLocal`); approving creates a key pair that is
 * POSTed as JSON to callback_url, then the browser returns to return_url with success=1 (0 when the
 * callback failed). The REST API checks the keys by basic auth, webhook topics and https delivery URLs,
 * and `deliver` sends an order to the active webhooks of its topic, signed with each webhook's secret.
 */
import { hmacBase64 } from "../../src/lib/crypto";
import type { FetchFn } from "../../src/lib/outbound";

type Hook = { id: number; name: string; topic: string; delivery_url: string; secret: string; status: string };

export function fakeWooConsent(opts: { allowHttpLocal?: boolean } = {}) {
  const newKeys = () => ({ key: `ck_${crypto.randomUUID().replace(/-/g, "")}`, secret: `cs_${crypto.randomUUID().replace(/-/g, "")}` });
  const basic = (k: { key: string; secret: string }) => `Basic ${btoa(`${k.key}:${k.secret}`)}`;
  /** The newest key pair; every pair created stays valid (as WooCommerce keeps each key until revoked). */
  let keys = newKeys();
  const valid = new Set([basic(keys)]);
  const hooks: Hook[] = [];
  const orders: Record<string, unknown>[] = [];
  const json = (b: unknown, status = 200) => new Response(JSON.stringify(b), { status, headers: { "content-type": "application/json" } });
  const httpsOrLocal = (u: string) => /^https:\/\//.test(u) || (!!opts.allowHttpLocal && /^http:\/\/(localhost|127\.0\.0\.1):\d+\//.test(u));
  const fetch: FetchFn = async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (!valid.has(req.headers.get("authorization") ?? "")) return json({ code: "woocommerce_rest_cannot_view", message: "Sorry, you cannot list resources.", data: { status: 401 } }, 401);
    // The orders the keys can read (the shop's check before activation reads one page).
    if (url.pathname === "/wp-json/wc/v3/orders" && req.method === "GET") {
      const perPage = Number(url.searchParams.get("per_page") ?? 10);
      const page = Number(url.searchParams.get("page") ?? 1);
      return new Response(JSON.stringify(orders.slice((page - 1) * perPage, page * perPage)), {
        headers: { "content-type": "application/json", "x-wp-total": String(orders.length), "x-wp-totalpages": String(Math.ceil(orders.length / perPage)) },
      });
    }
    if (url.pathname === "/wp-json/wc/v3/webhooks" && req.method === "GET") return json(hooks);
    if (url.pathname === "/wp-json/wc/v3/webhooks" && req.method === "POST") {
      const b = (await req.json()) as any;
      if (!["order.created", "order.updated"].includes(b.topic) || !httpsOrLocal(String(b.delivery_url))) return json({ code: "rest_invalid_param", message: "Invalid parameter(s): topic", data: { status: 400 } }, 400);
      const h = { id: hooks.length + 1, name: b.name, topic: b.topic, delivery_url: b.delivery_url, secret: b.secret, status: b.status ?? "active" };
      hooks.push(h);
      return json(h, 201);
    }
    const m = url.pathname.match(/^\/wp-json\/wc\/v3\/webhooks\/(\d+)$/);
    if (m && req.method === "PUT") {
      const h = hooks.find((x) => x.id === Number(m[1]));
      if (!h) return json({ code: "woocommerce_rest_webhook_invalid_id", message: "Invalid ID.", data: { status: 404 } }, 404);
      Object.assign(h, (await req.json()) as object);
      return json(h);
    }
    return json({ code: "rest_no_route", message: "No route was found matching the URL and request method.", data: { status: 404 } }, 404);
  };

  /** The consent screen's checks: null when the request is acceptable, else WooCommerce's error. */
  const checkAuthorize = (q: URLSearchParams) => {
    for (const p of ["app_name", "scope", "user_id", "return_url", "callback_url"]) if (!q.get(p)) return `Missing parameter ${p}`;
    if (!["read", "write", "read_write"].includes(q.get("scope")!)) return "Invalid scope";
    if (!httpsOrLocal(q.get("callback_url")!)) return "The callback_url needs to be over SSL";
    return null;
  };

  /** The store manager approves: new keys, POSTed to callback_url (send it with `post`); where the browser goes next. */
  async function approve(q: URLSearchParams, post: FetchFn) {
    const problem = checkAuthorize(q);
    if (problem) throw new Error(problem);
    keys = newKeys();
    valid.add(basic(keys));
    const body = { key_id: 1, user_id: q.get("user_id"), consumer_key: keys.key, consumer_secret: keys.secret, key_permissions: q.get("scope") };
    const res = await post(q.get("callback_url")!, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const back = new URL(q.get("return_url")!);
    back.searchParams.set("success", res.ok ? "1" : "0");
    back.searchParams.set("user_id", q.get("user_id")!);
    return back.toString();
  }

  /** WooCommerce delivering an order to each active webhook of the topic. */
  async function deliver(post: FetchFn, order: unknown, topic = "order.created") {
    const body = JSON.stringify(order);
    const answers: number[] = [];
    for (const h of hooks.filter((x) => x.topic === topic && x.status === "active")) {
      const res = await post(h.delivery_url, { method: "POST", headers: { "content-type": "application/json", "x-wc-webhook-topic": topic, "x-wc-webhook-signature": await hmacBase64(h.secret, body) }, body });
      answers.push(res.status);
    }
    return answers;
  }

  return { fetch, checkAuthorize, approve, deliver, hooks, orders, get keys() { return keys; } };
}
