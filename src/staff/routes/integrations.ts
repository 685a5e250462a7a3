import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../../db/client";
import { integrations } from "../../db/schema";
import { notFound } from "../../lib/errors";
import { activateIntegration, deactivateIntegration } from "../../integrations/activation";
import { integrationView, loadIntegration, prepareNewIntegration, saveSettings } from "../../integrations/store";
import type { StaffApp } from "../../http/types";
import { auditStatement } from "../audit";
import { commonErrors, IdParam, json, jsonBody, staff } from "../openapi";
import { loadTenant } from "./tenants";

/**
 * Settings are passed on as sent (a record schema would drop a `__proto__` key silently): the module's
 * schema then refuses every key that is not one of its settings, inherited names included.
 */
const Settings = z
  .custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), "must be an object")
  .openapi({ type: "object", additionalProperties: {} });
const Side = z.strictObject({ module: z.string().min(1).max(40), settings: Settings.default({}) });
const CreateIntegration = z.strictObject({ name: z.string().max(200).optional(), shop: Side, accounting: Side });
const PatchIntegration = z.strictObject({
  name: z.string().max(200).optional(),
  shop: z.strictObject({ settings: Settings }).optional(),
  accounting: z.strictObject({ settings: Settings }).optional(),
});
/** R26: a side's connection (api.md "Connections"). */
const Connection = z.object({
  status: z.enum(["connected", "needs_reconnect", "not_connected"]),
  via: z.enum(["oauth", "credentials"]).optional(),
  checkedAt: z.string().optional(),
  account: z.string().optional(),
});
const IntegrationSchema = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    name: z.string().nullable(),
    status: z.enum(["inactive", "active"]),
    createdAt: z.string(),
    activatedAt: z.string().nullable(),
    startAt: z.string().nullable(),
    shop: z.object({ module: z.string(), settings: Settings }),
    accounting: z.object({ module: z.string(), settings: Settings }),
    webhookUrl: z.string().nullable(),
    health: z.object({ status: z.string() }).passthrough(),
    connection: z.object({ shop: Connection, accounting: Connection }),
  })
  .openapi("Integration");
const TenantParam = z.object({ tenantId: z.string().min(1).max(100) });
const Activated = z.object({ status: z.literal("active"), activatedAt: z.string(), startAt: z.string() });

export async function requireIntegration(env: Env, id: string) {
  const row = await loadIntegration(env, id);
  if (!row) throw notFound("Integration");
  return row;
}

export function integrationRoutes(app: StaffApp) {
  app.openapi(
    createRoute({
      method: "post",
      path: "/tenants/{tenantId}/integrations",
      tags: ["Integrations"],
      summary: "Create an integration (inactive until activated, R1)",
      ...staff("integrations:write"),
      request: { params: TenantParam, ...jsonBody(CreateIntegration) },
      responses: { 201: json(IntegrationSchema, "Created"), ...commonErrors },
    }),
    async (c) => {
      const { tenantId } = c.req.valid("param");
      const db = getDb(c.env);
      await loadTenant(db, tenantId);
      const row = await prepareNewIntegration(c.env, tenantId, c.req.valid("json"));
      await db.batch([
        db.insert(integrations).values(row),
        auditStatement(c, "integration.create", { type: "integration", id: row.id, tenantId }, { shop: row.shopModule, accounting: row.accountingModule }),
      ]);
      return c.json(await integrationView(c.env, row), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/integrations/{id}",
      tags: ["Integrations"],
      summary: "An integration; secrets show as ********",
      ...staff("read"),
      request: { params: IdParam },
      responses: { 200: json(IntegrationSchema), ...commonErrors },
    }),
    async (c) => c.json(await integrationView(c.env, await requireIntegration(c.env, c.req.valid("param").id)), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/integrations/{id}",
      tags: ["Integrations"],
      summary: "Merge settings into an integration",
      ...staff("integrations:write"),
      request: { params: IdParam, ...jsonBody(PatchIntegration) },
      responses: { 200: json(IntegrationSchema), ...commonErrors },
    }),
    async (c) => {
      const row = await requireIntegration(c.env, c.req.valid("param").id);
      const body = c.req.valid("json");
      const saved = await saveSettings(c.env, row, { name: body.name, shop: body.shop?.settings, accounting: body.accounting?.settings }, c.get("staff")?.id ?? "system");
      return c.json(await integrationView(c.env, saved), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/integrations/{id}/activate",
      tags: ["Integrations"],
      summary: "Activate; refused with the missing settings while any required one is missing (R1)",
      ...staff("integrations:write"),
      request: { params: IdParam },
      responses: { 200: json(Activated), 422: commonErrors[400], ...commonErrors },
    }),
    async (c) => {
      const row = await requireIntegration(c.env, c.req.valid("param").id);
      const done = await activateIntegration(c.env, row, auditStatement(c, "integration.activate", { type: "integration", id: row.id, tenantId: row.tenantId }));
      return c.json(done, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/integrations/{id}/deactivate",
      tags: ["Integrations"],
      summary: "Deactivate; webhooks are still recorded (R4)",
      ...staff("integrations:write"),
      request: { params: IdParam },
      responses: { 200: json(z.object({ status: z.literal("inactive") })), ...commonErrors },
    }),
    async (c) => {
      const row = await requireIntegration(c.env, c.req.valid("param").id);
      const done = await deactivateIntegration(c.env, row, auditStatement(c, "integration.deactivate", { type: "integration", id: row.id, tenantId: row.tenantId }));
      return c.json(done, 200);
    },
  );
}
