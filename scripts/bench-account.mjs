#!/usr/bin/env node
// Benchmark of the tenant account Durable Object (issue 4), locally in workerd through `wrangler dev`.
// Charges per second from concurrent callers through TenantAccount.charge(), against a bare Durable
// Object RPC that does nothing, in the same run. The calls are made from inside the Worker (as the
// transfer consumer makes them), so the figures exclude HTTP between this script and the Worker.
//
//   node scripts/bench-account.mjs [charges=10000] [concurrency=100]
//   (BENCH_TMP=/dev/shm keeps the local SQLite files in memory: no fsync per write)
//
// The plan is passed in the charge request, so no D1 read is measured (the transfer path without a plan
// adds one D1 read per new charge). Each charge is distinct (a new key); a second run measures repeats.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const N = Number(process.argv[2] ?? 10000);
const C = Number(process.argv[3] ?? 100);
const root = resolve(new URL("..", import.meta.url).pathname);
const dir = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), "bench-account-"));
const port = 8900 + Math.floor(Math.random() * 90);

writeFileSync(
  join(dir, "entry.ts"),
  `
import { DurableObject } from "cloudflare:workers";
export { TenantAccount } from ${JSON.stringify(join(root, "src/account/account-do.ts"))};
export class Noop extends DurableObject {
  async noop(req: unknown) { return { ok: true }; }
}
const plan = { code: "bench", includedOrders: 1000, extraOrderPrice: 150 };
async function pool(n: number, c: number, f: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: c }, async () => { while (next < n) await f(next++); }));
}
export default {
  async fetch(request: Request, env: any) {
    // The D1 copy the account's alarm writes to (the real schema comes from migrations/).
    await env.DB.exec("CREATE TABLE IF NOT EXISTS usage_months (tenant_id TEXT NOT NULL, month TEXT NOT NULL, used_included INTEGER NOT NULL, used_top_up INTEGER NOT NULL, extra_orders INTEGER NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (tenant_id, month))");
    const u = new URL(request.url);
    const n = Number(u.searchParams.get("n")), c = Number(u.searchParams.get("c"));
    const mode = u.searchParams.get("mode"), tenant = u.searchParams.get("tenant")!;
    const stub = mode === "noop" ? env.NOOP.get(env.NOOP.idFromName(tenant)) : env.ACCOUNT.get(env.ACCOUNT.idFromName(tenant));
    const at = "2026-01-15T10:00:00Z";
    const req = (i: number) => ({ tenantId: tenant, integrationId: "int_bench", shopOrderId: String(i), generation: 0, documentNumber: "D" + i, at, plan });
    await (mode === "noop" ? stub.noop(req(-1)) : stub.usage("2026-01", plan)); // wake it up
    const t0 = performance.now();
    await pool(n, c, (i) => (mode === "noop" ? stub.noop(req(i)) : stub.charge(req(i))));
    const ms = performance.now() - t0;
    const usage = mode === "noop" ? null : await stub.usage("2026-01", plan);
    return Response.json({ ms, usage });
  },
};
`,
);
writeFileSync(
  join(dir, "wrangler.json"),
  JSON.stringify({
    name: "bench-account",
    main: "entry.ts",
    compatibility_date: "2026-11-01",
    compatibility_flags: ["nodejs_compat"],
    durable_objects: { bindings: [{ name: "ACCOUNT", class_name: "TenantAccount" }, { name: "NOOP", class_name: "Noop" }] },
    migrations: [{ tag: "v1", new_sqlite_classes: ["TenantAccount", "Noop"] }],
    d1_databases: [{ binding: "DB", database_name: "bench", database_id: "00000000-0000-0000-0000-000000000001" }],
  }),
);

const child = spawn(join(root, "node_modules/.bin/wrangler"), ["dev", "--config", join(dir, "wrangler.json"), "--port", String(port), "--ip", "127.0.0.1", "--persist-to", join(dir, "state")], {
  cwd: dir,
  stdio: ["ignore", "ignore", process.env.BENCH_VERBOSE ? "inherit" : "ignore"],
  env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
});
const stop = () => {
  child.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
};

try {
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(`${base}/?mode=noop&n=1&c=1&tenant=warm`);
      break;
    } catch {
      if (i > 120) throw new Error("wrangler dev did not start");
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const run = async (mode, tenant) => (await fetch(`${base}/?mode=${mode}&n=${N}&c=${C}&tenant=${tenant}`)).json();
  // Warm-up of both paths, then the measured runs.
  await run("noop", "warm-noop");
  await run("charge", "warm-charge");
  const noop = await run("noop", "bench-noop");
  const charge = await run("charge", "bench-charge");
  const repeat = await run("charge", "bench-charge");
  const per = (r) => (r.ms * 1000) / N;
  console.log(`${N} calls, ${C} concurrent callers, one Durable Object per run (local workerd)`);
  console.log(`bare RPC (does nothing):   ${Math.round(N / (noop.ms / 1000))} calls/s, ${per(noop).toFixed(1)} µs per call`);
  console.log(`charge (new keys):         ${Math.round(N / (charge.ms / 1000))} charges/s, ${per(charge).toFixed(1)} µs per charge`);
  console.log(`charge (all duplicates):   ${Math.round(N / (repeat.ms / 1000))} charges/s, ${per(repeat).toFixed(1)} µs per charge`);
  console.log(`cost of a charge over a bare RPC: ${(per(charge) - per(noop)).toFixed(1)} µs (new), ${(per(repeat) - per(noop)).toFixed(1)} µs (duplicate)`);
  console.log(`counted: ${charge.usage.transferredOrders} (expected ${N}); after the repeat run: ${repeat.usage.transferredOrders}`);
  if (charge.usage.transferredOrders !== N || repeat.usage.transferredOrders !== N) process.exitCode = 1;
} finally {
  stop();
}
