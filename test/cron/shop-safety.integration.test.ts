import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { TransferError } from "../../src/domain/errors";
import { setOutboundFetch } from "../../src/lib/outbound";
import { SHOP_MAX_BYTES, shopFetchJson } from "../../src/modules/http/shop-fetch";
import { checkShopUrl } from "../../src/modules/http/ssrf";
import { handleMessage } from "../../src/queue";
import { TransferContext } from "../../src/transfers/transfer";
import { fakeMagento, magentoOrder, shopRouter } from "../fakes/shops";
import { call } from "../helpers";
import { activeIntegration, ledgerSummary, pollState } from "./cron-helpers";

let router: ReturnType<typeof shopRouter>;
beforeEach(() => {
  router = shopRouter();
  setOutboundFetch(router.fetch);
});
afterEach(() => setOutboundFetch());

const poll = (integrationId: string) => handleMessage(new TransferContext(env), { type: "poll", integrationId }, 1);

async function magentoAt(host: string) {
  return activeIntegration({ module: "magento", settings: { baseUrl: `https://${host}`, accessToken: "mg-token" } });
}

/** A URL the settings API would refuse, stored as if it had been saved before (or changed behind our back). */
async function storeBaseUrl(integrationId: string, baseUrl: string) {
  await env.DB.prepare("UPDATE integrations SET shop_settings = json_set(shop_settings, '$.baseUrl', ?) WHERE id = ?").bind(baseUrl, integrationId).run();
}

/** The poll failed cleanly: acknowledged, health visible in the staff API, the cursor untouched. */
async function expectShopUnavailable(integrationId: string, message: RegExp) {
  expect(await poll(integrationId)).toEqual({ done: true });
  const view = (await call("GET", `/api/staff/integrations/${integrationId}`)).json;
  expect(view.health).toMatchObject({ status: "shop_unavailable", category: "shop_unavailable", message: expect.stringMatching(message) });
  expect((await pollState(integrationId)).cursor).toBeNull();
  expect((await ledgerSummary(integrationId)).rows).toBe(0);
}

describe("the SSRF guard and bad shop answers", () => {
  it("refuses plain http unless ALLOW_HTTP_SHOP_URLS, and then only to localhost with a port, before any fetch", async () => {
    expect(checkShopUrl("http://127.0.0.1:8080", false)).toMatchObject({ ok: false, reason: "must use https" });
    expect(checkShopUrl("http://localhost:8080", false)).toMatchObject({ ok: false, reason: "must use https" });
    expect(checkShopUrl("http://127.0.0.1:8080", true)).toMatchObject({ ok: true });
    expect(checkShopUrl("http://127.0.0.1", true)).toMatchObject({ ok: false });
    const attempt = shopFetchJson(router.fetch, { ALLOW_HTTP_SHOP_URLS: "false" }, "http://127.0.0.1:8080/rest/V1/orders");
    await expect(attempt).rejects.toThrow(/refused: the shop URL must use https/);
    expect(router.requests).toHaveLength(0);
  });

  it.each([
    ["a private address", "https://10.0.0.1", /refused: .*private or reserved/],
    ["loopback without a port", "http://127.0.0.1", /refused: .*must use https/],
    ["the metadata service", "https://169.254.169.254", /refused: .*private or reserved/],
    ["an IPv6 loopback literal", "https://[::1]", /refused: .*IP address/],
  ])("refuses %s before any fetch", async (_, url, message) => {
    const i = await magentoAt("safe.magento.example.com");
    await storeBaseUrl(i.id, url);
    await expectShopUnavailable(i.id, message);
    expect(router.requests).toHaveLength(0);
  });

  const endless = () =>
    new Response(new ReadableStream({ pull: (c) => c.enqueue(new TextEncoder().encode(`[${"0,".repeat(32 * 1024)}`)) }), { headers: { "content-type": "application/json" } });
  it.each([
    ["a redirect (not followed)", () => new Response(null, { status: 302, headers: { location: "http://169.254.169.254/latest/meta-data/" } }), /redirect \(302\).*not followed/],
    ["an endless body (capped)", endless, new RegExp(`larger than ${SHOP_MAX_BYTES / 1024 / 1024} MiB`)],
    ["HTML", () => new Response("<!doctype html><title>Maintenance</title>", { headers: { "content-type": "text/html" } }), /HTML instead of JSON/],
    ["invalid JSON", () => new Response('{"items": [', { headers: { "content-type": "application/json" } }), /invalid JSON/],
    ["401", () => new Response('{"message":"The consumer isn\'t authorized"}', { status: 401 }), /refused the credentials \(401\)/],
  ])("a shop answering %s: shop_unavailable on the integration, the cursor unchanged", async (_, answer, message) => {
    const host = `bad-${crypto.randomUUID().slice(0, 8)}.magento.example.com`;
    router.routes.set(host, async () => answer());
    const i = await magentoAt(host);
    await expectShopUnavailable(i.id, message);
    expect(router.requests).toHaveLength(1); // one call, no redirect followed, no retry loop
    expect(router.requests[0].init?.redirect).toBe("manual");

    // Once the shop answers properly, the next poll goes on and the health is ok again.
    const magento = fakeMagento();
    magento.put(magentoOrder(1, { createdAt: new Date(Date.parse(i.createdAt) + 1000).toISOString() }));
    router.routes.set(host, magento.fetch);
    await poll(i.id);
    expect((await pollState(i.id)).health).toMatchObject({ status: "ok" });
    expect((await ledgerSummary(i.id)).rows).toBe(1);
  });

  it("429 and 5xx are shop_unavailable; 429 carries the shop's Retry-After", async () => {
    const answer = (r: Response) => shopFetchJson(async () => r, env, "https://shop.example.com/x").catch((e) => e as TransferError);
    const throttled = await answer(new Response("slow down", { status: 429, headers: { "retry-after": "120" } }));
    expect(throttled).toMatchObject({ category: "shop_unavailable", retryAfterSeconds: 120 });
    expect(await answer(new Response("oops", { status: 503 }))).toMatchObject({ category: "shop_unavailable", message: expect.stringMatching(/503/) });
  });

  it("a changed shop URL drops the credentials: nothing is sent anywhere until they are entered again", async () => {
    const i = await magentoAt("first.magento.example.com");
    const patched = await call("PATCH", `/api/staff/integrations/${i.id}`, { shop: { settings: { baseUrl: "https://second.magento.example.com" } } });
    expect(patched.status).toBe(200);
    await expectShopUnavailable(i.id, /incomplete \(accessToken\)/);
    expect(router.requests).toHaveLength(0);
  });
});
