// The settings page end to end: a real headless Chromium (Debian's /usr/bin/chromium via playwright-core)
// against `wrangler dev` on a free port with a temporary local state directory.
// invite → password → sign in → sandbox integration → activate → sandbox order → transferred in the log →
// top-up slider shows topUpQuote's price → approve an import's test transfer. Screenshots: test-artifacts/.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const WRANGLER = "node_modules/.bin/wrangler";
const ARTIFACTS = "test-artifacts";
const TOKEN = randomBytes(24).toString("base64url");

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

let port, base, dir, server, browser, page;
let serverLog = "";

async function api(method, path, body) {
  const r = await fetch(`${base}/api/staff${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await r.json().catch(() => null);
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  port = await freePort();
  base = `http://localhost:${port}`;
  dir = mkdtempSync(join(tmpdir(), "orderbridge-e2e-"));
  mkdirSync(ARTIFACTS, { recursive: true });
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };
  execFileSync(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], { env, stdio: "pipe" });
  const vars = {
    STAFF_BOOTSTRAP_TOKEN: TOKEN,
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    ECONOMIC_APP_SECRET_TOKEN: "e2e",
    PUBLIC_URL: base,
    ALLOW_HTTP_SHOP_URLS: "true",
  };
  server = spawn(
    WRANGLER,
    ["dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", dir, "--inspector-port", String(await freePort()), ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])],
    { env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  server.stdout.on("data", (d) => (serverLog += d));
  server.stderr.on("data", (d) => (serverLog += d));
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/api/staff/openapi.json`)).ok) break;
    } catch {}
    if (i > 240 || server.exitCode !== null) throw new Error(`wrangler dev did not start:\n${serverLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
});

afterAll(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    try {
      process.kill(-server.pid, "SIGTERM"); // the process group we started (wrangler and its workerd)
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("settings page in a real browser", () => {
  it("invite → sign in → set up and activate a sandbox integration → order transferred → top-up price → approve an import", async () => {
    // Staff create the tenant and invite the owner.
    const tenant = await api("POST", "/tenants", { name: "E2E Webshop ApS", planCode: "basic" });
    const invite = await api("POST", `/tenants/${tenant.id}/users`, { email: "owner@e2e.example", role: "owner" });
    expect(invite.inviteUrl.startsWith(base)).toBe(true);

    // Choose a password on the invite page; that signs in.
    await page.goto(invite.inviteUrl);
    await shot("01-invite");
    await page.fill("#password", "e2e password 123");
    await page.fill("#password2", "e2e password 123");
    await Promise.all([page.waitForURL(`${base}/home`), page.click("button[type=submit]")]);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === "__Host-session");
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/" });

    // Sign out and in again with the password.
    await Promise.all([page.waitForURL(`${base}/`), page.click("header form button")]);
    await shot("02-sign-in");
    await page.fill("#email", "owner@e2e.example");
    await page.fill("#password", "e2e password 123");
    await Promise.all([page.waitForURL(`${base}/home`), page.click("main button[type=submit]")]);
    expect(await page.textContent("h1")).toBe("Overblik");

    // Create a sandbox → sandbox integration, save a setting, activate.
    await page.goto(`${base}/integrations`);
    await page.fill("#name", "Sandbox-butik");
    await page.selectOption("#shop", "sandbox");
    await page.selectOption("#accounting", "sandbox");
    await Promise.all([page.waitForURL(/\/integrations\/int_/), page.click("main form button[type=submit]")]);
    const integrationId = page.url().split("/").pop().split("?")[0];
    await page.fill('[name="shop.allowedStatuses"]', "processing, completed");
    await page.selectOption('[name="accounting.documentType"]', "booked");
    await Promise.all([page.waitForURL(/done=saved/), page.click("#settings button[type=submit]")]);
    expect(await page.textContent(".flash")).toContain("Indstillingerne er gemt");
    await Promise.all([page.waitForURL(/done=activated/), page.click(`form[action$="/activate"] button`)]);
    expect(await page.textContent("h1")).toContain("Aktiv");
    expect(await page.textContent("#start-point")).toMatch(/Ordrer oprettet fra \d{1,2}\. \S+ \d{4}/);
    await shot("03-integration");

    // Staff create a sandbox order; it is polled and transferred; the log shows it.
    await new Promise((r) => setTimeout(r, 1100)); // the sandbox shop keeps whole seconds
    const order = await api("POST", `/integrations/${integrationId}/sandbox/orders`, {});
    const orderId = String(order.id);
    await page.goto(`${base}/log?integration=${integrationId}`);
    for (let i = 0; i < 60; i++) {
      const status = await page.getAttribute(`tr[data-order="${orderId}"]`, "data-status").catch(() => null);
      if (status === "transferred") break;
      if (i === 59) throw new Error(`order not transferred (status ${status}):\n${serverLog.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 500));
      await page.reload();
    }
    await shot("04-log");
    await Promise.all([page.waitForURL(new RegExp(`/orders/${orderId}$`)), page.click(`tr[data-order="${orderId}"] a`)]);
    expect(await page.textContent("#received")).toContain(orderId);
    expect(await page.textContent("#sent")).not.toBe("Ingen");
    await shot("05-order");

    // Move the top-up slider: the price shown is the staff API's quote (the same topUpQuote).
    await page.goto(`${base}/subscription?lang=en`);
    for (const n of [750, 2500]) {
      const quote = await api("GET", `/tenants/${tenant.id}/top-up/quote?orders=${n}`);
      // English pages write money as "1,234.50 DKK" (the currency's own decimals, the code after the amount).
      const expected = `${Math.floor(quote.price / 100).toLocaleString("en-GB")}.${String(quote.price % 100).padStart(2, "0")} ${quote.currency}`;
      await page.fill("#orders", String(n));
      await page.waitForFunction((o) => document.getElementById("topup-price")?.getAttribute("data-orders") === String(o), n, { timeout: 10_000 });
      expect(await page.textContent("#topup-orders")).toBe(String(n));
      expect((await page.textContent("#topup-price")).trim()).toBe(expected);
    }
    await shot("06-subscription");
    await page.fill("#orders", "500");
    await Promise.all([page.waitForURL(/bought=/), page.click("#topup button[type=submit]")]);
    expect(await page.textContent(".flash")).toContain("Bought: 500 orders");
    expect((await api("GET", `/tenants/${tenant.id}/usage`)).topUpBalance).toBe(500);

    // An import: staff create it and take the live transfer as the reference test transfer; the customer approves it.
    const today = new Date().toLocaleDateString("en-CA", { timeZone: "Europe/Copenhagen" });
    const imp = await api("POST", "/imports", { integrationId, fromDate: today, estimatedOrders: 10 });
    await api("POST", `/imports/${imp.id}/test-transfer`, { useExistingOrderId: orderId });
    await page.goto(`${base}/imports?lang=da`);
    expect(await page.locator(`[data-import="${imp.id}"] progress`).count()).toBe(1);
    await page.click(`[data-import="${imp.id}"] h2 a`);
    await shot("07-import");
    await page.fill("#note", "Ser rigtigt ud");
    await Promise.all([page.waitForURL(/done=approved/), page.click("#test-transfer button[type=submit]")]);
    expect(await page.textContent("#approved")).toContain("Godkendt");
    expect((await api("GET", `/imports/${imp.id}`)).status).toBe("approved");
    await page.goto(`${base}/home`);
    await shot("08-home");
  });
});
