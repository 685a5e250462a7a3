import { defineConfig } from "vitest/config";

// End-to-end tests of the settings page in a real headless Chromium against `wrangler dev` (plain Node).
export default defineConfig({
  test: {
    environment: "node",
    include: ["test/e2e/**/*.e2e.mjs"],
    testTimeout: 240_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
