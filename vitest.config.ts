import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            STAFF_BOOTSTRAP_TOKEN: "test-bootstrap-token",
            // 32 bytes of zeros, base64: a fixed test key (never used outside tests).
            ENCRYPTION_KEY: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ECONOMIC_APP_SECRET_TOKEN: "test-app-secret",
            PUBLIC_URL: "https://orderbridge.test",
            ECONOMIC_API_URL: "https://economic.fake",
            BILLY_API_URL: "https://billy.fake",
            DINERO_API_URL: "https://dinero.fake",
            DINERO_AUTH_URL: "https://authz.dinero.fake",
            VISMA_CONNECT_URL: "https://connect.visma.fake",
            DINERO_CLIENT_ID: "isv_test-dinero-client",
            DINERO_CLIENT_SECRET: "test-dinero-client-secret",
            SHOPIFY_ADMIN_ORIGIN: "https://shopify.fake",
            ALLOW_HTTP_SHOP_URLS: "true",
            SHOPIFY_API_SECRET: "test-shopify-app-secret",
            SHOPIFY_API_KEY: "test-shopify-client-id",
            ECONOMIC_APP_PUBLIC_TOKEN: "test-app-public-token",
            ECONOMIC_CONNECT_URL: "https://secure.economic.fake",
            NOTIFY_FROM: "notifications@orderbridge.test",
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      setupFiles: ["./test/setup.ts"],
      testTimeout: 30_000,
      // Most tests wait on queues, timers and fakes, not the CPU: two files at once even on two cores.
      maxWorkers: 2,
    },
  };
});
