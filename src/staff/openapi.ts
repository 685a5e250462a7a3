import { z } from "@hono/zod-openapi";
import { requireScope, type Scope } from "./auth";

export const ErrorSchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }),
  })
  .openapi("Error");

const err = (description: string) => ({ description, content: { "application/json": { schema: ErrorSchema } } });

export const json = <T extends z.ZodType>(schema: T, description = "OK") => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});

/** Security, scope check and the common error answers of every staff route. */
export const staff = (scope: Scope) => ({
  security: [{ bearer: [] }],
  middleware: [requireScope(scope)],
});

export const commonErrors = {
  400: err("invalid_request"),
  401: err("unauthorized"),
  403: err("forbidden"),
  404: err("not_found"),
};

/** An order number as the merchant sees it: "#1001", "1001" or 1001. */
export const OrderNumber = z.union([z.string().min(1).max(50), z.int().min(0)]).transform(String);

/** A query parameter sent empty (`?status=`, as api.md writes the lists) is the same as one left out. */
export const blankIsAbsent = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

export const IdParam = z.object({ id: z.string().min(1).max(100) });
/** Action endpoints take no body: an empty body and {} are both accepted. */
export const Empty = z.object({}).passthrough();
