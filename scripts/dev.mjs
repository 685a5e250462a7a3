#!/usr/bin/env node
// `npm run dev`: a working local system in one command. Writes .dev.vars with fresh secrets when it is
// missing, applies the local D1 migrations, seeds a demo tenant with an active sandbox-to-sandbox
// integration (idempotent), starts `wrangler dev` and prints a short banner: the URL, one `export` line
// (TOKEN, ID, BASE) and curls that work once it is pasted.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const port = process.env.PORT ?? "8787";
const wrangler = "node_modules/.bin/wrangler";

function readVars() {
  return Object.fromEntries(
    readFileSync(".dev.vars", "utf8")
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")).trim(), l.slice(l.indexOf("=") + 1).trim()]),
  );
}

if (!existsSync(".dev.vars")) {
  writeFileSync(
    ".dev.vars",
    [
      `STAFF_BOOTSTRAP_TOKEN=${randomBytes(24).toString("base64url")}`,
      `ENCRYPTION_KEY=${randomBytes(32).toString("base64")}`,
      "ECONOMIC_APP_SECRET_TOKEN=demo",
      `PUBLIC_URL=http://localhost:${port}`,
      "ALLOW_HTTP_SHOP_URLS=true",
      "NOTIFY_FROM=notifications@orderbridge.localhost",
      "",
    ].join("\n"),
  );
  console.log("wrote .dev.vars with fresh secrets");
}
const vars = readVars();

execFileSync(wrangler, ["d1", "migrations", "apply", "DB", "--local"], { stdio: "inherit", env: { ...process.env, CI: "true" } });

const child = spawn(wrangler, ["dev", "--port", port, "--ip", "127.0.0.1"], { stdio: ["inherit", "pipe", "inherit"] });
child.stdout.pipe(process.stdout);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));

// One host name throughout: the one invite links use (PUBLIC_URL). Node only talks to the bound address.
const host = (vars.PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, "");
const base = `http://127.0.0.1:${port}`;
async function waitForServer() {
  for (let i = 0; i < 120; i++) {
    try {
      const r = await fetch(`${base}/api/staff/openapi.json`);
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("wrangler dev did not start");
}

await waitForServer();
const demo = await seedDemo().catch((e) => (console.error("demo seed failed:", e.message), null));
const id = demo?.integrationId ?? "<integration id>";
// Quiet and copyable: a few lines, every command pasteable as it stands once the export line is pasted.
console.log(`
──────────────────────────────────────────────────────────────────────
orderbridge: ${host}/${demo?.inviteUrl ? `   first sign-in: ${demo.inviteUrl.replace(/^https?:\/\/[^/]+/, host)}` : ""}

export TOKEN=${vars.STAFF_BOOTSTRAP_TOKEN} ID=${id} BASE=${host}

curl -s -X POST -H "Authorization: Bearer $TOKEN" $BASE/api/staff/integrations/$ID/sandbox/orders
curl -s -H "Authorization: Bearer $TOKEN" $BASE/api/staff/integrations/$ID/orders
More (imports, the sandbox's failure switches): README.md. Stop: Ctrl+C.
──────────────────────────────────────────────────────────────────────
`);

/** Seeds the demo through the staff API itself; remembers its ids so a second run reuses them. */
async function seedDemo() {
  const headers = { authorization: `Bearer ${vars.STAFF_BOOTSTRAP_TOKEN}`, "content-type": "application/json" };
  const api = async (method, path, body) => {
    const r = await fetch(`${base}/api/staff${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const json = await r.json().catch(() => null);
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  const file = ".wrangler/demo.json";
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, "utf8"));
    const r = await fetch(`${base}/api/staff/integrations/${saved.integrationId}`, { headers });
    if (r.ok) return { ...saved, inviteUrl: undefined };
  }
  const tenant = await api("POST", "/tenants", { name: "Demo Webshop ApS", planCode: "basic" });
  const integration = await api("POST", `/tenants/${tenant.id}/integrations`, {
    name: "Demo (sandbox → sandbox)",
    shop: { module: "sandbox", settings: {} },
    accounting: { module: "sandbox", settings: {} },
  });
  await api("POST", `/integrations/${integration.id}/activate`);
  const invite = await api("POST", `/tenants/${tenant.id}/users`, { email: "owner@demo.example", role: "owner" });
  const demo = { tenantId: tenant.id, integrationId: integration.id };
  writeFileSync(file, JSON.stringify(demo));
  return { ...demo, inviteUrl: invite.inviteUrl };
}
