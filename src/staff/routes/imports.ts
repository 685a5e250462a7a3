import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ERROR_CATEGORIES } from "../../domain/errors";
import { invalid } from "../../lib/errors";
import type { AppEnv, StaffApp } from "../../http/types";
import {
  addOffer,
  addTime,
  approveImport,
  cancelImport,
  createImport,
  importErrors,
  importView,
  loadImport,
  patchImport,
  pauseImport,
  resumeImport,
  startImport,
  startPreflight,
  testTransfer,
} from "../../imports/service";
import { blankIsAbsent, commonErrors, IdParam, json, jsonBody, OrderNumber, staff } from "../openapi";

const MAX_ORDERS = 1_000_000;
const Import = z.record(z.string(), z.unknown()).openapi("Import");
const CreateImport = z.strictObject({
  integrationId: z.string().min(1).max(100),
  fromDate: z.string().max(10),
  fromOrderNumber: OrderNumber.optional(),
  toDate: z.string().max(10).optional(),
  estimatedOrders: z.int().min(0).max(MAX_ORDERS),
  acceptedHalfHours: z.int().min(0).max(10_000).optional(),
});
const PatchImport = z
  .strictObject({ estimatedOrders: z.int().min(0).max(MAX_ORDERS).optional(), acceptedHalfHours: z.int().min(0).max(10_000).optional() })
  .refine((p) => p.estimatedOrders !== undefined || p.acceptedHalfHours !== undefined, { message: "give estimatedOrders or acceptedHalfHours" });
const TestTransferBody = z.union([z.strictObject({ orderId: z.string().min(1).max(100).optional() }), z.strictObject({ useExistingOrderId: z.string().min(1).max(100) })]);
const Approve = z.strictObject({ note: z.string().trim().min(1).max(2000) });
const Time = z.strictObject({ minutes: z.int().min(1).max(100_000), note: z.string().trim().min(1).max(2000) });
const Offer = z.strictObject({ halfHours: z.int().min(1).max(10_000) });
const conflicts = { 409: commonErrors[400], 422: commonErrors[400] };

const actor = (c: Context<AppEnv>) => `staff:${c.get("staff").id}`;

/** Action endpoints take no body; an empty body and {} are both accepted. */
async function optionalJson<T extends z.ZodType>(c: Context<AppEnv>, schema: T): Promise<z.infer<T>> {
  const text = await c.req.text();
  let value: unknown;
  try {
    value = text.trim() ? JSON.parse(text) : {};
  } catch {
    throw invalid("The body is not valid JSON");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw invalid("The request is not valid", { issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) });
  }
  return parsed.data;
}

export function importRoutes(app: StaffApp) {
  const route = <P extends string, M extends "get" | "post" | "patch">(method: M, path: P, summary: string, extra: object = {}) =>
    createRoute({ method, path, tags: ["Imports"], summary, ...staff(method === "get" ? "read" : "imports:write"), request: { params: IdParam }, responses: { 200: json(Import), 202: json(Import), ...conflicts, ...commonErrors }, ...extra });

  app.openapi(
    createRoute({
      method: "post",
      path: "/imports",
      tags: ["Imports"],
      summary: "Create an import (draft); the integration must be ready (R15)",
      ...staff("imports:write"),
      request: jsonBody(CreateImport),
      responses: { 201: json(Import, "Created"), ...conflicts, ...commonErrors },
    }),
    async (c) => c.json(await importView(c.env, await createImport(c.env, c.req.valid("json"), actor(c))), 201),
  );

  app.openapi(route("get", "/imports/{id}", "An import: progress, errors by category, billing"), async (c) =>
    c.json(await importView(c.env, await loadImport(c.env, c.req.valid("param").id)), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/imports/{id}/errors",
      tags: ["Imports"],
      summary: "The import's errors with order number, message and hint",
      ...staff("read"),
      request: { params: IdParam, query: z.object({ category: blankIsAbsent(z.enum(ERROR_CATEGORIES)) }) },
      responses: { 200: json(z.object({ items: z.array(z.record(z.string(), z.unknown())) })), ...commonErrors },
    }),
    async (c) => c.json(await importErrors(c.env, await loadImport(c.env, c.req.valid("param").id), c.req.valid("query").category), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/imports/{id}",
      tags: ["Imports"],
      summary: "Record a new quote the customer accepted (estimate, half hours), e.g. after scope_exceeded (R17)",
      ...staff("imports:write"),
      request: { params: IdParam, ...jsonBody(PatchImport) },
      responses: { 200: json(Import), ...conflicts, ...commonErrors },
    }),
    async (c) => {
      const row = await loadImport(c.env, c.req.valid("param").id);
      return c.json(await importView(c.env, await patchImport(c.env, row, c.req.valid("json"), actor(c))), 200);
    },
  );

  const action = (path: string, summary: string, status: 200 | 202, run: (env: Env, row: Awaited<ReturnType<typeof loadImport>>, actor: string) => Promise<Awaited<ReturnType<typeof loadImport>>>) =>
    app.openapi(route("post", path, summary), async (c) => {
      const row = await loadImport(c.env, c.req.valid("param").id);
      return c.json(await importView(c.env, await run(c.env, row, actor(c))), status);
    });

  action("/imports/{id}/preflight", "Count the orders in range and check them against the accounting master data, creating nothing", 202, startPreflight);
  action("/imports/{id}/start", "Start an approved import", 202, startImport);
  action("/imports/{id}/pause", "Pause a running import", 200, pauseImport);
  action("/imports/{id}/resume", "Resume a paused import", 200, resumeImport);
  action("/imports/{id}/cancel", "Cancel an import; unused reserved orders are released", 200, cancelImport);

  app.openapi(route("post", "/imports/{id}/test-transfer", "Transfer one order of the range as a test, or name an earlier live transfer (R15)"), async (c) => {
    const row = await loadImport(c.env, c.req.valid("param").id);
    const body = await optionalJson(c, TestTransferBody);
    return c.json({ testTransfer: await testTransfer(c.env, row, body, actor(c)) }, 200);
  });

  app.openapi(
    createRoute({
      method: "post",
      path: "/imports/{id}/approve",
      tags: ["Imports"],
      summary: "Approve on the customer's behalf, with a note (R15)",
      ...staff("imports:write"),
      request: { params: IdParam, ...jsonBody(Approve) },
      responses: { 200: json(Import), ...conflicts, ...commonErrors },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const updated = await approveImport(c.env, id, { by: "staff", actor: actor(c), note: c.req.valid("json").note });
      return c.json(await importView(c.env, updated), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/imports/{id}/time",
      tags: ["Imports"],
      summary: "Record technician time, billed per started half hour (R14)",
      ...staff("imports:write"),
      request: { params: IdParam, ...jsonBody(Time) },
      responses: { 200: json(z.record(z.string(), z.unknown())), ...conflicts, ...commonErrors },
    }),
    async (c) => {
      const row = await loadImport(c.env, c.req.valid("param").id);
      const { minutes, note } = c.req.valid("json");
      const t = await addTime(c.env, row, minutes, note, actor(c));
      return c.json(
        {
          technicianMinutes: t.technicianMinutes,
          technicianHalfHours: t.technicianHalfHours,
          acceptedHalfHours: t.acceptedHalfHours,
          technicianCost: t.technicianCost,
          needsNewOffer: t.needsNewOffer,
          currency: t.currency,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/imports/{id}/offers",
      tags: ["Imports"],
      summary: "The customer accepted more technician half hours",
      ...staff("imports:write"),
      request: { params: IdParam, ...jsonBody(Offer) },
      responses: { 200: json(Import), ...conflicts, ...commonErrors },
    }),
    async (c) => {
      const row = await loadImport(c.env, c.req.valid("param").id);
      return c.json(await importView(c.env, await addOffer(c.env, row, c.req.valid("json").halfHours, actor(c))), 200);
    },
  );
}
