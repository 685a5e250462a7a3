import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { getDb, type Db } from "../../db/client";
import { plans, tenants, users } from "../../db/schema";
import { conflict, invalid, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { nowIso } from "../../domain/calendar";
import type { StaffApp } from "../../http/types";
import { auditStatement } from "../audit";
import { commonErrors, IdParam, json, jsonBody, staff } from "../openapi";
import { inviteStatements } from "../../account/invites";

const Tenant = z.object({ id: z.string(), name: z.string(), planCode: z.string(), createdAt: z.string() }).openapi("Tenant");
const CreateTenant = z.strictObject({ name: z.string().trim().min(1).max(200), planCode: z.string().min(1).max(40) });
const CreateUser = z.strictObject({ email: z.email().max(254), role: z.enum(["owner", "member"]) });
const UserInvited = z.object({ userId: z.string(), inviteUrl: z.string() }).openapi("UserInvited");


export async function loadTenant(db: Db, id: string) {
  const t = await db.select().from(tenants).where(eq(tenants.id, id)).get();
  if (!t) throw notFound("Tenant");
  return t;
}


export function tenantRoutes(app: StaffApp) {
  app.openapi(
    createRoute({
      method: "post",
      path: "/tenants",
      tags: ["Tenants"],
      summary: "Create a tenant (merchant account) on a plan",
      ...staff("tenants:write"),
      request: jsonBody(CreateTenant),
      responses: { 201: json(Tenant, "Created"), ...commonErrors },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const db = getDb(c.env);
      const plan = await db.select().from(plans).where(eq(plans.code, body.planCode)).get();
      if (!plan) throw invalid(`Unknown plan "${body.planCode}"`, { issues: [{ path: "planCode", message: "unknown plan" }] });
      const row = { id: newId("ten"), name: body.name, planCode: body.planCode, createdAt: nowIso() };
      await db.batch([db.insert(tenants).values(row), auditStatement(c, "tenant.create", { type: "tenant", id: row.id, tenantId: row.id }, body)]);
      return c.json(row, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{id}",
      tags: ["Tenants"],
      summary: "A tenant",
      ...staff("read"),
      request: { params: IdParam },
      responses: { 200: json(Tenant), ...commonErrors },
    }),
    async (c) => c.json(await loadTenant(getDb(c.env), c.req.valid("param").id), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/tenants/{id}/users",
      tags: ["Tenants"],
      summary: "Invite a user; the invite link lets them choose a password",
      ...staff("tenants:write"),
      request: { params: IdParam, ...jsonBody(CreateUser) },
      responses: { 201: json(UserInvited, "Created"), 409: commonErrors[400], ...commonErrors },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const db = getDb(c.env);
      await loadTenant(db, id);
      const email = body.email.toLowerCase();
      const existing = await db.select().from(users).where(eq(users.email, email)).get();
      if (existing) throw conflict("user_exists", "A user with this email already exists");
      const userId = newId("usr");
      const invite = await inviteStatements(db, c.env.PUBLIC_URL, userId);
      await db.batch([
        db.insert(users).values({ id: userId, tenantId: id, email, role: body.role }),
        invite.statement,
        auditStatement(c, "user.invite", { type: "user", id: userId, tenantId: id }, { email, role: body.role }),
      ]);
      return c.json({ userId, inviteUrl: invite.url }, 201);
    },
  );
}
