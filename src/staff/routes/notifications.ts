import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../../db/client";
import { runDigest } from "../../notify";
import { listOutbox } from "../../notify/outbox";
import { KINDS } from "../../notify/texts";
import type { StaffApp } from "../../http/types";
import { auditStatement } from "../audit";
import { commonErrors, IdParam, json, staff } from "../openapi";
import { ListQuery } from "./orders";
import { loadTenant } from "./tenants";

const Notification = z
  .object({
    id: z.string(),
    kind: z.enum(KINDS),
    to: z.string(),
    subject: z.string(),
    status: z.enum(["sent", "failed"]).openapi({ description: "`failed`: not sent (yet); it is tried again at `nextAttemptAt` (null: given up)" }),
    integrationId: z.string().optional(),
    importId: z.string().optional(),
    createdAt: z.string(),
    sentAt: z.string().optional(),
    attempts: z.int(),
    error: z.string().nullable().optional(),
    nextAttemptAt: z.string().nullable().optional(),
  })
  .openapi("Notification");
const NotificationPage = z.object({ items: z.array(Notification), nextCursor: z.string().nullable() });
const DigestRun = z.object({ window: z.object({ from: z.string(), to: z.string() }), tenants: z.int(), orders: z.int(), refunds: z.int().openapi({ description: "Refunds whose credit note failed (R23), told in the same digest" }), sent: z.int() }).openapi("DigestRun");

export function notificationRoutes(app: StaffApp) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/tenants/{id}/notifications",
      tags: ["Notifications"],
      summary: "The tenant's notifications (the outbox), newest first (R25)",
      ...staff("read"),
      request: { params: IdParam, query: ListQuery.pick({ limit: true, cursor: true }) },
      responses: { 200: json(NotificationPage), ...commonErrors },
    }),
    async (c) => {
      const db = getDb(c.env);
      const tenant = await loadTenant(db, c.req.valid("param").id);
      const { limit, cursor } = c.req.valid("query");
      return c.json((await listOutbox(db, tenant.id, limit, cursor)) as z.infer<typeof NotificationPage>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/notifications/digest",
      tags: ["Notifications"],
      summary: "Run the daily digest of failed orders now; a second run finds nothing new to send",
      ...staff("tenants:write"),
      responses: { 202: json(DigestRun, "Accepted"), ...commonErrors },
    }),
    async (c) => {
      const result = (await runDigest(c.env, new Date(), "now"))!;
      await auditStatement(c, "notifications.digest", { type: "digest", id: result.window.to }, result);
      return c.json(result, 202);
    },
  );
}
