import { OpenAPIHono } from "@hono/zod-openapi";
import { validationHook } from "../http/errors";
import { errorBody } from "../lib/errors";
import type { AppEnv } from "../http/types";
import { staffAuth } from "./auth";
import { importRoutes } from "./routes/imports";
import { integrationRoutes } from "./routes/integrations";
import { keyRoutes } from "./routes/keys";
import { notificationRoutes } from "./routes/notifications";
import { orderRoutes } from "./routes/orders";
import { planRoutes } from "./routes/plans";
import { tenantRoutes } from "./routes/tenants";
import { usageRoutes } from "./routes/usage";

/** The staff API under /api/staff; the OpenAPI document is generated from the route schemas. */
export function createStaffApi() {
  const api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "orderbridge staff API", version: "1.0.0" },
  });
  api.use("*", async (c, next) => (c.req.path.endsWith("/openapi.json") ? next() : staffAuth(c, next)));
  // A body that is not JSON is refused before any handler runs, so an action never runs on it and nothing
  // changes; an action's empty body and `{}` stay accepted (api.md, Conventions).
  api.use("*", async (c, next) => {
    if (["POST", "PUT", "PATCH"].includes(c.req.method)) {
      const text = (await c.req.text()).trim();
      if (text && !isJson(text)) return c.json(errorBody("invalid_request", "The body is not valid JSON"), 400);
    }
    await next();
  });
  keyRoutes(api);
  planRoutes(api);
  tenantRoutes(api);
  integrationRoutes(api);
  orderRoutes(api);
  usageRoutes(api);
  importRoutes(api);
  notificationRoutes(api);
  return api;
}

function isJson(text: string) {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
