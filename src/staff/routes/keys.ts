import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { getDb } from "../../db/client";
import { staffKeys } from "../../db/schema";
import { randomToken, sha256Hex } from "../../lib/crypto";
import { notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { nowIso } from "../../domain/calendar";
import type { StaffApp } from "../../http/types";
import { auditStatement } from "../audit";
import { SCOPES } from "../auth";
import { commonErrors, IdParam, json, jsonBody, staff } from "../openapi";

const CreateKey = z.strictObject({ name: z.string().min(1).max(100), scopes: z.array(z.enum(SCOPES)).min(1) });
const KeyCreated = z.object({ id: z.string(), name: z.string(), scopes: z.array(z.string()), token: z.string() }).openapi("StaffKeyCreated");

export function keyRoutes(app: StaffApp) {
  app.openapi(
    createRoute({
      method: "post",
      path: "/keys",
      tags: ["Keys"],
      summary: "Mint a scoped staff key (the token is shown once and stored hashed)",
      ...staff("keys:write"),
      request: jsonBody(CreateKey),
      responses: { 201: json(KeyCreated, "Created"), ...commonErrors },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const id = newId("key");
      const token = `obk_${randomToken(32)}`;
      const scopes = [...new Set(body.scopes)];
      const db = getDb(c.env);
      await db.batch([
        db.insert(staffKeys).values({ id, name: body.name, scopes, tokenHash: await sha256Hex(token) }),
        auditStatement(c, "key.create", { type: "staff_key", id }, { name: body.name, scopes }),
      ]);
      return c.json({ id, name: body.name, scopes, token }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/keys/{id}",
      tags: ["Keys"],
      summary: "Revoke a staff key; its token stops working at once",
      ...staff("keys:write"),
      request: { params: IdParam },
      responses: { 204: { description: "Revoked" }, ...commonErrors },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const db = getDb(c.env);
      const key = await db.select().from(staffKeys).where(eq(staffKeys.id, id)).get();
      if (!key) throw notFound("Key");
      if (!key.revokedAt)
        await db.batch([
          db.update(staffKeys).set({ revokedAt: nowIso() }).where(eq(staffKeys.id, id)),
          auditStatement(c, "key.revoke", { type: "staff_key", id }),
        ]);
      return c.body(null, 204);
    },
  );
}
