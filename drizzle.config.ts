import { defineConfig } from "drizzle-kit";

// Migrations are generated from src/db/schema.ts and applied by `wrangler d1 migrations apply`
// (local and --remote) and by the tests (test/setup.ts).
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
