import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { d1Metrics } from "./db/metrics";
import { errorBody } from "./lib/errors";
import { onError } from "./http/errors";
import type { AppEnv } from "./http/types";
import { connectRoutes } from "./connect/routes";
import { createPages } from "./pages";
import { createStaffApi } from "./staff";
import { webhookRoutes } from "./webhooks";

const MiB = 1024 * 1024;

export function createApp() {
  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.notFound((c) => c.json(errorBody("not_found", "No such endpoint"), 404));

  app.use("/api/*", bodyLimit({ maxSize: MiB, onError: (c) => c.json(errorBody("payload_too_large", "The body is larger than 1 MiB"), 413) }));
  // JSON in: a body of another type is refused before any handler sees it.
  app.use("/api/*", async (c, next) => {
    if (["POST", "PUT", "PATCH"].includes(c.req.method)) {
      const type = c.req.header("content-type") ?? "";
      const length = c.req.header("content-length");
      const hasBody = length ? Number(length) > 0 : c.req.raw.body !== null;
      // An action's empty body or `{}` is accepted whatever its declared type (api.md, Conventions).
      const emptyAction = async () => ["", "{}"].includes((await c.req.text()).trim());
      if (hasBody && !/^application\/(.+\+)?json\b/i.test(type) && !(await emptyAction()))
        return c.json(errorBody("unsupported_media_type", "Send JSON with Content-Type: application/json"), 415);
    }
    await next();
  });
  // Liveness for load balancers and monitors; also the benchmark's empty route.
  app.get("/health", (c) => c.json({ ok: true }));
  // D1 write counters, only when the benchmark turns them on.
  app.get("/bench/metrics", (c) => (c.env.BENCH_METRICS === "true" ? c.json(d1Metrics) : c.json(errorBody("not_found", "No such endpoint"), 404)));
  app.route("/api/staff", createStaffApi());
  app.route("/webhooks", webhookRoutes());
  app.route("/", createPages([connectRoutes]));
  return app;
}
