#!/usr/bin/env node
// `npm test` runs the browser end-to-end suite after the workerd suite only when Debian's Chromium is
// installed (CI installs it: .ci/run); otherwise it says so and skips.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const CHROMIUM = "/usr/bin/chromium";
if (!existsSync(CHROMIUM)) {
  console.log(`\nSKIPPED the end-to-end tests: ${CHROMIUM} is missing (install it with: apt-get install -y chromium; then: npm run test:e2e)\n`);
  process.exit(0);
}
const r = spawnSync("npm", ["run", "test:e2e"], { stdio: "inherit" });
process.exit(r.status ?? 1);
