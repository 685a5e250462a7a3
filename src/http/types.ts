import type { OpenAPIHono } from "@hono/zod-openapi";

export type StaffPrincipal = { id: string; scopes: string[] };

export type AppEnv = {
  Bindings: Env;
  Variables: { staff: StaffPrincipal };
};

export type StaffApp = OpenAPIHono<AppEnv>;
