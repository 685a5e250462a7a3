#!/usr/bin/env -S npx tsx
/**
 * `npm run bench`: the live-transfer benchmarks (issue 3), locally under `wrangler dev`, with a baseline
 * measured in the same run.
 *  1. Signed Shopify webhooks at rising concurrency: requests/s, p50, p99 of POST /webhooks/shopify/:id
 *     next to GET /health (an empty route of the same Worker), and the p99 ratio.
 *  2. A drain: N orders from webhook to a draft in a fake e-conomic (the test fake, served over HTTP):
 *     orders/s, accounting API calls per order, D1 statements and rows written per order.
 *  3. An import of earlier orders from the sandbox shop.
 *  4. Imports of earlier Shopify orders against a fake Shopify with the documented limits (2,000-point
 *     bucket, 100 points/s, 1,000 per query, bulk operations that take a few seconds) into fake e-conomic
 *     agreements with their rate limit (2,000 burst, 30 calls/s): orders/s end to end, e-conomic calls per
 *     order, Shopify points spent, the achieved e-conomic call rate after the burst as a share of its 30/s,
 *     for new customers (one e-conomic customer each) and the collective customer; then the same range read
 *     with paged queries (the preflight, for a minute) for comparison.
 *  5. Billy and Dinero: Shopify webhooks to a draft or booked invoice in their fakes (with their rate
 *     limits: Dinero 100 requests a minute): API calls per order, draft and booked.
 * Then the tenant account benchmark (scripts/bench-account.mjs).
 *   npm run bench -- [drainOrders=300] [shopifyImportOrders=2000]
 */
import { spawn, execFileSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeBilly } from "../test/fakes/billy";
import { DINERO_CLIENT, FakeDinero } from "../test/fakes/dinero";
import { FakeEconomic } from "../test/fakes/economic";
import { fakeShopify } from "../test/fakes/shopify";
import { shopifyOrderNode } from "../test/fakes/shops";

const DRAIN = Number(process.argv[2] ?? 300);
const SHOPIFY_IMPORT = Number(process.argv[3] ?? 2000);
const wrangler = "node_modules/.bin/wrangler";
const persist = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), "bench-"));
const port = 8700 + Math.floor(Math.random() * 200);
const base = `http://127.0.0.1:${port}`;
const token = randomBytes(16).toString("hex");
const SECRET = "bench-webhook-secret";

// ---- the fake e-conomic over HTTP ----
const sample = JSON.parse(readFileSync("test/fixtures/shopify/own-dk-25-taxes-included-discount-shipping.json", "utf8"));
const skus = [...new Set<string>(sample.line_items.map((l: { sku: string }) => l.sku))];
const fake = new FakeEconomic({
  products: [...skus, "SHIP"].map((productNumber) => ({ productNumber, name: productNumber, salesPrice: 100, productGroup: { productGroupNumber: 1 } })),
});
/** More e-conomic agreements (one per benchmark that must start with a full bucket), by grant token. */
const agreements = new Map<string, FakeEconomic>([[fake.agreementGrantToken, fake]]);
/** Billy and Dinero fakes, under a path prefix each (their fakes route by host). */
const billy = new FakeBilly();
for (const sku of skus) billy.addProduct(sku);
const dinero = new FakeDinero();
const prefixed: [string, string, (r: Request) => Promise<Response>][] = [
  ["/billy", "https://billy.fake", (r) => billy.fetch(r)],
  ["/dinero-api", "https://dinero.fake", (r) => dinero.fetch(r)],
  ["/dinero-auth", "https://authz.dinero.fake", (r) => dinero.fetch(r)],
];
/** Fake Shopify shops by access token; their export files under /files/<token>/. */
const shops = new Map<string, ReturnType<typeof fakeShopify>>();
const fakeServer = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = chunks.length ? Buffer.concat(chunks) : undefined;
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
  const url = req.url ?? "/";
  let answer: Response;
  const files = /^\/files\/([^/]+)\//.exec(url);
  const other = prefixed.find(([prefix]) => url.startsWith(`${prefix}/`));
  if (other) answer = await other[2](new Request(`${other[1]}${url.slice(other[0].length)}`, { method: req.method, headers, body }));
  else if (files || url.startsWith("/admin/api/")) {
    const shop = shops.get(files ? decodeURIComponent(files[1]) : (headers.get("x-shopify-access-token") ?? ""));
    answer = shop
      ? await shop.fetch(`http://127.0.0.1:${fakePort}${url}`, { method: req.method, headers, body })
      : new Response(JSON.stringify({ errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" }), { status: 401 });
  } else {
    const agreement = agreements.get(headers.get("x-agreementgranttoken") ?? "") ?? fake;
    answer = await agreement.fetch(new Request(`${agreement.origin}${url}`, { method: req.method, headers, body }));
  }
  res.writeHead(answer.status, Object.fromEntries(answer.headers));
  res.end(Buffer.from(await answer.arrayBuffer()));
});
await new Promise<void>((r) => fakeServer.listen(0, "127.0.0.1", () => r()));
const fakePort = (fakeServer.address() as { port: number }).port;

// ---- the Worker ----
const vars: Record<string, string> = {
  STAFF_BOOTSTRAP_TOKEN: token,
  ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  ECONOMIC_APP_SECRET_TOKEN: fake.appSecretToken,
  ECONOMIC_API_URL: `http://127.0.0.1:${fakePort}`,
  SHOPIFY_ADMIN_ORIGIN: `http://127.0.0.1:${fakePort}`,
  BILLY_API_URL: `http://127.0.0.1:${fakePort}/billy`,
  DINERO_API_URL: `http://127.0.0.1:${fakePort}/dinero-api`,
  DINERO_AUTH_URL: `http://127.0.0.1:${fakePort}/dinero-auth`,
  DINERO_CLIENT_ID: DINERO_CLIENT.id,
  DINERO_CLIENT_SECRET: DINERO_CLIENT.secret,
  ALLOW_HTTP_SHOP_URLS: "true",
  PUBLIC_URL: base,
  BENCH_METRICS: "true",
};
execFileSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], { stdio: "ignore", env: { ...process.env, CI: "true" } });
const dev = spawn(wrangler, ["dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persist, ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])], {
  stdio: ["ignore", "ignore", "inherit"],
  env: { ...process.env, CI: "true" },
});
const stop = () => {
  dev.kill("SIGTERM");
  fakeServer.close();
  rmSync(persist, { recursive: true, force: true });
};
process.on("exit", stop);

for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/health`)).ok) break;
  } catch {}
  if (i > 240) throw new Error("wrangler dev did not start");
  await new Promise((r) => setTimeout(r, 250));
}

const api = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(`${base}/api/staff${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.json() as Promise<any>;
};
const tenant = await api("POST", "/tenants", { name: "Bench ApS", planCode: "basic" });
const integration = await api("POST", `/tenants/${tenant.id}/integrations`, {
  shop: { module: "shopify", settings: { shopDomain: "bench.myshopify.com", accessToken: "x", webhookSecret: SECRET } },
  accounting: {
    module: "economic",
    settings: { agreementGrantToken: fake.agreementGrantToken, layoutNumber: 19, paymentTermsNumber: 1, customerGroupNumber: 1, vatZones: { domestic: 1, eu: 2, abroad: 3 }, shippingProductNumber: "SHIP" },
  },
});
await api("POST", `/integrations/${integration.id}/activate`);

let orderSeq = 1;
function webhook() {
  const now = new Date(Date.now() + 1000).toISOString();
  const id = 7_000_000 + orderSeq++;
  const body = JSON.stringify({ ...sample, id, name: `#${id}`, order_number: id, created_at: now, updated_at: now, email: `buyer${id % 50}@example.dk` });
  return {
    id,
    init: {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-shopify-topic": "orders/create",
        "x-shopify-shop-domain": "bench.myshopify.com",
        "x-shopify-event-id": `ev-${id}`,
        "x-shopify-hmac-sha256": createHmac("sha256", SECRET).update(body).digest("base64"),
      },
    },
  };
}

async function load(n: number, concurrency: number, request: () => Promise<Response>) {
  const times: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) {
        const s = performance.now();
        const r = await request();
        await r.arrayBuffer();
        if (!r.ok) throw new Error(`status ${r.status}`);
        times.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  return { rps: n / seconds, p50: q(0.5), p99: q(0.99) };
}

const f = (x: number, d = 1) => x.toFixed(d);
console.log(`\n1. Webhook route vs empty route (same Worker, same run; wrangler dev on this machine)`);
console.log("concurrency | empty req/s  p50 ms  p99 ms | webhook req/s  p50 ms  p99 ms | p99 ratio");
// Warm-up of both routes (first D1 statements, key imports, the consumer's first batch).
await load(200, 8, () => fetch(`${base}/health`));
await load(50, 4, () => fetch(`${base}/webhooks/shopify/${integration.id}`, webhook().init));
await new Promise((r) => setTimeout(r, 3000));
for (const c of [1, 8, 32]) {
  const n = 100 * c > 1200 ? 1200 : Math.max(200, 100 * c);
  const empty = await load(n, c, () => fetch(`${base}/health`));
  const hook = await load(n, c, () => {
    const w = webhook();
    return fetch(`${base}/webhooks/shopify/${integration.id}`, w.init);
  });
  console.log(
    `${String(c).padStart(11)} | ${f(empty.rps, 0).padStart(11)} ${f(empty.p50).padStart(7)} ${f(empty.p99).padStart(7)} | ${f(hook.rps, 0).padStart(13)} ${f(hook.p50).padStart(7)} ${f(hook.p99).padStart(7)} | ${f(hook.p99 / empty.p99, 2)}×`,
  );
}

// Let the orders of part 1 reach e-conomic before measuring the drain on its own.
async function settled(expectedDrafts: number) {
  const t = performance.now();
  while (fake.drafts.size < expectedDrafts) {
    if (performance.now() - t > 600_000) throw new Error(`only ${fake.drafts.size} of ${expectedDrafts} drafts after 10 minutes`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
await settled(orderSeq - 1);

console.log(`\n2. Drain: ${DRAIN} orders from webhook to a draft in the fake e-conomic`);
const callsBefore = fake.log.length;
const draftsBefore = fake.drafts.size;
const m0 = await (await fetch(`${base}/bench/metrics`)).json();
const t0 = performance.now();
await load(DRAIN, 16, () => {
  const w = webhook();
  return fetch(`${base}/webhooks/shopify/${integration.id}`, w.init);
});
await settled(draftsBefore + DRAIN);
const seconds = (performance.now() - t0) / 1000;
await new Promise((r) => setTimeout(r, 1000)); // the last ledger writes after the last draft
const m1 = await (await fetch(`${base}/bench/metrics`)).json();
const calls = fake.log.length - callsBefore;
console.log(`orders/s (webhook sent → draft created): ${f(DRAIN / seconds)}  (${f(seconds)} s for ${DRAIN})`);
console.log(`accounting API calls per order: ${f(calls / DRAIN, 2)}  (${calls} calls; drafts created: ${fake.drafts.size - draftsBefore})`);
console.log(`D1 statements per order: ${f((m1.statements - m0.statements) / DRAIN, 1)}, of them writes: ${f((m1.writeStatements - m0.writeStatements) / DRAIN, 1)}, rows written (D1 meta, where reported): ${f((m1.rowsWritten - m0.rowsWritten) / DRAIN, 1)}`);
const byPath = new Map<string, number>();
for (const r of fake.log.slice(callsBefore)) byPath.set(`${r.method} ${r.path.replace(/\/\d+/g, "/:n")}`, (byPath.get(`${r.method} ${r.path.replace(/\/\d+/g, "/:n")}`) ?? 0) + 1);
console.log("accounting calls by endpoint:", Object.fromEntries(byPath));

console.log(`\n3. Import: ${DRAIN} earlier orders from the sandbox shop into the fake e-conomic`);
const skuSandbox = "SKU-1";
fake.products.set(skuSandbox, { productNumber: skuSandbox, name: "Demo", salesPrice: 100, productGroup: { productGroupNumber: 1 } } as never);
const imported = await api("POST", `/tenants/${tenant.id}/integrations`, {
  shop: { module: "sandbox", settings: {} },
  accounting: { module: "economic", settings: { agreementGrantToken: fake.agreementGrantToken, layoutNumber: 19, paymentTermsNumber: 1, customerGroupNumber: 1, vatZones: { domestic: 1, eu: 2, abroad: 3 }, shippingProductNumber: "SHIP" } },
});
const earlier = new Date(Date.now() - 10 * 86400_000).toISOString();
for (let n = 0; n < DRAIN; n++) await api("POST", `/integrations/${imported.id}/sandbox/orders`, { createdAt: earlier, email: `import${n % 50}@example.dk` }); // inactive: not polled
await api("POST", `/integrations/${imported.id}/activate`);
const fromDate = new Date(Date.now() - 20 * 86400_000).toISOString().slice(0, 10);
const job = await api("POST", "/imports", { integrationId: imported.id, fromDate, estimatedOrders: DRAIN });
await api("POST", `/imports/${job.id}/test-transfer`);
await api("POST", `/imports/${job.id}/approve`, { note: "bench" });
const calls0 = fake.log.length;
const ti = performance.now();
await api("POST", `/imports/${job.id}/start`);
let report;
for (;;) {
  report = await api("GET", `/imports/${job.id}`);
  if (report.status === "completed") break;
  if (performance.now() - ti > 600_000) throw new Error("import did not finish in 10 minutes");
  await new Promise((r) => setTimeout(r, 200));
}
const importSeconds = (performance.now() - ti) / 1000;
const imported_n = report.progress.transferred - 1; // the test transfer was before the start
console.log(`import: ${imported_n} orders in ${f(importSeconds)} s = ${f(imported_n / importSeconds)} orders/s; e-conomic calls per order ${f((fake.log.length - calls0) / imported_n, 2)} (the agreement allows 30 calls/s sustained after a 2,000 burst)`);
console.log(`billing: ${JSON.stringify(report.billing)}`);

// ---- 4. Shopify imports under Shopify's and e-conomic's documented limits ----
const waitFor = async <T>(what: string, get: () => Promise<T>, done: (x: T) => boolean, limitMs = 900_000) => {
  const t = performance.now();
  for (;;) {
    const x = await get();
    if (done(x)) return x;
    if (performance.now() - t > limitMs) throw new Error(`${what}: not done after ${limitMs / 1000} s: ${JSON.stringify(x).slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

/** A Shopify shop with `n` earlier orders and its own e-conomic agreement; returns the integration and fakes. */
async function shopifySetup(label: string, n: number, customers: "new" | "collective") {
  const token = `shpat_${label}`;
  const shop = fakeShopify({ accessToken: token, bulkMs: 3000, filesOrigin: `http://127.0.0.1:${fakePort}/files/${token}` });
  shops.set(token, shop);
  const grant = `grant-${label}`;
  const books = new FakeEconomic({
    agreementGrantToken: grant,
    appSecretToken: fake.appSecretToken,
    origin: fake.origin,
    products: ["SKU-1", "SHIP"].map((productNumber) => ({ productNumber, name: productNumber, salesPrice: 100, productGroup: { productGroupNumber: 1 } })),
    customers: customers === "collective" ? [{ name: "Webshop private customers", currency: "DKK", vatZone: { vatZoneNumber: 1 } }] : [],
  });
  agreements.set(grant, books);
  const created = Date.now() - 20 * 86400_000;
  for (let k = 1; k <= n; k++) {
    const node = shopifyOrderNode(6_000_000 + k, { createdAt: new Date(created + k * 1000).toISOString() });
    shop.put({ ...node, name: `#${k}`, email: `${label}-buyer${k}@example.dk` });
  }
  const integration = await api("POST", `/tenants/${tenant.id}/integrations`, {
    shop: { module: "shopify", settings: { shopDomain: `${label}.myshopify.com`, accessToken: token, webhookSecret: SECRET } },
    accounting: {
      module: "economic",
      settings: {
        agreementGrantToken: grant,
        layoutNumber: 19,
        paymentTermsNumber: 1,
        customerGroupNumber: 1,
        vatZones: { domestic: 1, eu: 2, abroad: 3 },
        shippingProductNumber: "SHIP",
        ...(customers === "collective" ? { customerMode: "collective", collectiveCustomerNumber: 1 } : {}),
      },
    },
  });
  await api("POST", `/integrations/${integration.id}/activate`);
  return { shop, books, integration };
}

async function shopifyImport(label: string, n: number, customers: "new" | "collective") {
  const { shop, books, integration } = await shopifySetup(label, n, customers);
  const fromDate = new Date(Date.now() - 30 * 86400_000).toISOString().slice(0, 10);
  const job = await api("POST", "/imports", { integrationId: integration.id, fromDate, estimatedOrders: n });
  const tp = performance.now();
  await api("POST", `/imports/${job.id}/preflight`);
  const pf = await waitFor("preflight", () => api("GET", `/imports/${job.id}`), (x) => x.preflight?.status === "done");
  const preflightSeconds = (performance.now() - tp) / 1000;
  await api("POST", `/imports/${job.id}/test-transfer`);
  await api("POST", `/imports/${job.id}/approve`, { note: "bench" });
  const calls0 = books.log.length;
  const tokensAtStart = books.tokensLeft();
  const points0 = shop.state.pointsSpent;
  const throttled0 = shop.state.throttled;
  const t0 = performance.now();
  await api("POST", `/imports/${job.id}/start`);
  const done = await waitFor("import", () => api("GET", `/imports/${job.id}`), (x) => x.status === "completed" || x.status === "paused");
  const seconds = (performance.now() - t0) / 1000;
  if (done.status !== "completed") throw new Error(`import paused: ${done.pauseReason} ${done.pauseMessage ?? ""}`);
  const run = books.log.slice(calls0);
  const orders = done.progress.transferred - 1; // the test transfer came before the start
  // The agreement's rate after its burst: the calls beyond what its bucket held when the run began, over
  // the run's time, against the 30/s it allows (1.0: e-conomic's bucket is the bottleneck).
  const share = run.length > tokensAtStart ? (run.length - tokensAtStart) / seconds / 30 : null;
  console.log(
    `${label.padEnd(22)} | ${String(pf.preflight.ordersFound).padStart(6)} in ${f(preflightSeconds).padStart(5)} s | ${f(orders / seconds).padStart(8)} | ${f(run.length / orders, 2).padStart(10)} | ${String(Math.round(shop.state.pointsSpent - points0)).padStart(7)} | ${String(shop.state.throttled - throttled0).padStart(9)} | ${share === null ? "  n/a (within the burst)" : f(share, 2).padStart(6)} | ${done.progress.failed} failed, ${books.rateLimited} × 429`,
  );
  return { seconds, orders };
}

console.log(`\n4. Imports of ${SHOPIFY_IMPORT} earlier Shopify orders (fake Shopify: 2,000 points, 100/s, 1,000 per query, bulk operations of 3 s; fake e-conomic: 2,000 burst, 30/s)`);
console.log("mode                   | preflight found     | orders/s | calls/order | points | THROTTLED | e-conomic rate share after burst");
const perCustomer = await shopifyImport("bulk-new-customers", SHOPIFY_IMPORT, "new");
await shopifyImport("bulk-collective", SHOPIFY_IMPORT, "collective");

// The same range read with paged queries (an import below the bulk threshold pages): the preflight for a minute.
{
  const { shop, integration } = await shopifySetup("paged", SHOPIFY_IMPORT, "new");
  const fromDate = new Date(Date.now() - 30 * 86400_000).toISOString().slice(0, 10);
  const job = await api("POST", "/imports", { integrationId: integration.id, fromDate, estimatedOrders: 10 });
  const t0 = performance.now();
  await api("POST", `/imports/${job.id}/preflight`);
  await new Promise((r) => setTimeout(r, 60_000));
  const seen = (await api("GET", `/imports/${job.id}`)).preflight.ordersFound;
  const seconds = (performance.now() - t0) / 1000;
  await api("POST", `/imports/${job.id}/cancel`);
  const pagedRate = seen / seconds;
  const bulkRate = perCustomer.orders / perCustomer.seconds;
  console.log(
    `paged queries          | ${seen} orders read in ${f(seconds, 0)} s = ${f(pagedRate, 2)} orders/s (${shop.state.queries.length} queries, ${shop.state.throttled} THROTTLED); ${SHOPIFY_IMPORT} orders would take ${f(SHOPIFY_IMPORT / pagedRate / 60, 0)} min only to read; the bulk import read and transferred them at ${f(bulkRate / pagedRate, 0)}× that rate`,
  );
}

// ---- 5. Billy and Dinero: calls per order ----
console.log(`\n5. Shopify webhooks to Billy and Dinero (their fakes; Dinero at its 100 requests a minute): API calls per order`);
console.log("system  type    | orders | new buyers | calls/order | seconds");
async function intoBooks(system: "billy" | "dinero", documentType: "draft" | "booked", n: number) {
  const settings =
    system === "billy"
      ? { accessToken: billy.token, shippingProductNo: "SHIP", documentType }
      : { organizationId: dinero.organizationId, apiKey: dinero.apiKey, accounts: { domestic: 1000, eu: 1100, abroad: 1050 }, documentType };
  const books = await api("POST", `/tenants/${tenant.id}/integrations`, {
    shop: { module: "shopify", settings: { shopDomain: "bench.myshopify.com", accessToken: "x", webhookSecret: SECRET } },
    accounting: { module: system, settings },
  });
  await api("POST", `/integrations/${books.id}/activate`);
  const count = () => (system === "billy" ? billy.invoices.length : dinero.invoices.length);
  const calls = () => (system === "billy" ? billy.log.length : dinero.log.length);
  const contacts = () => (system === "billy" ? billy.contacts.length : dinero.contacts.length);
  const invoices0 = count();
  const calls0 = calls();
  const contacts0 = contacts();
  const t0 = performance.now();
  await load(n, 4, () => fetch(`${base}/webhooks/shopify/${books.id}`, webhook().init));
  await waitFor(`${system} invoices`, async () => count() - invoices0, (k) => k >= n, 600_000);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${system.padEnd(7)} ${documentType.padEnd(7)} | ${String(n).padStart(6)} | ${String(contacts() - contacts0).padStart(10)} | ${f((calls() - calls0) / n, 2).padStart(11)} | ${f(seconds).padStart(7)}`);
}
// The webhooks' 50 buyers: new to each system in its first run, returning in the next ones.
await intoBooks("billy", "draft", 100);
await intoBooks("billy", "draft", 100);
await intoBooks("billy", "booked", 100);
await intoBooks("dinero", "draft", 60);
await intoBooks("dinero", "draft", 60);
await intoBooks("dinero", "booked", 60);
stop();
process.exit(0);
