import { createRoute, z } from "@hono/zod-openapi";
import { requestCreditNoteAgain, requestTransferAgain } from "../../transfers/transfer-again";
import { getDb } from "../../db/client";
import { ERROR_CATEGORIES } from "../../domain/errors";
import { invalid, notFound, unprocessable } from "../../lib/errors";
import { missingForActivation } from "../../integrations/store";
import { currencyDecimals } from "../../domain/currency";
import { shopModules } from "../../modules";
import { creditNoteView, getCreditNote } from "../../transfers/credit-note-store";
import { getLedgerRow } from "../../transfers/ledger-store";
import { ledgerDetail, listLedger } from "../../transfers/ledger-view";
import { enqueue } from "../../transfers/messages";
import type { StaffApp } from "../../http/types";
import { auditStatement } from "../audit";
import { blankIsAbsent, commonErrors, IdParam, json, staff } from "../openapi";
import { requireIntegration } from "./integrations";

export const ListQuery = z.object({
  status: blankIsAbsent(z.enum(["pending", "transferred", "failed", "skipped"])),
  category: blankIsAbsent(z.enum(ERROR_CATEGORIES)),
  // A larger value is clamped to 200 (a smaller one to 1); only a non-number is refused.
  limit: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return 50;
      const n = Number(v);
      if (!Number.isFinite(n)) {
        ctx.addIssue({ code: "custom", message: "limit must be a number" });
        return z.NEVER;
      }
      return Math.min(200, Math.max(1, Math.trunc(n)));
    }),
  cursor: z.string().max(500).optional(),
});
const OrderParams = z.object({ id: z.string().min(1).max(100), orderId: z.string().min(1).max(100) });
const RefundParams = OrderParams.extend({ refundId: z.string().min(1).max(100) });
const ErrorInfo = z.object({ category: z.string(), message: z.string(), hint: z.string() });
const DocumentInfo = z.object({ type: z.enum(["draft", "booked"]), number: z.string() });
const CreditNote = z
  .object({
    refundId: z.string().openapi({ description: 'The shop\'s refund id; "cancel" for the credit of a cancellation without a covering refund (R21)' }),
    status: z.enum(["waiting", "pending", "transferred", "failed", "skipped"]),
    amount: z.int().openapi({ description: "Gross, minor units, positive" }),
    currency: z.string(),
    document: DocumentInfo.optional(),
    error: ErrorInfo.optional(),
    receivedAt: z.string(),
    transferredAt: z.string().optional(),
  })
  .openapi("CreditNote");
const LedgerEntry = z
  .object({
    orderId: z.string(),
    orderNumber: z.string(),
    status: z.enum(["pending", "transferred", "failed", "skipped"]),
    reason: z.string().optional(),
    error: ErrorInfo.optional(),
    document: DocumentInfo.optional(),
    source: z.enum(["webhook", "poll", "import", "manual"]),
    importId: z.string().optional(),
    receivedAt: z.string(),
    transferredAt: z.string().optional(),
    currency: z.string().nullable().openapi({ description: "The document currency (ISO 4217, R24); null while the order could not be read" }),
    creditNotes: z.array(CreditNote),
  })
  .openapi("LedgerEntry");
const LedgerPage = z.object({ items: z.array(LedgerEntry), nextCursor: z.string().nullable() });
const LedgerDetail = LedgerEntry.extend({ attempts: z.array(z.record(z.string(), z.unknown())), received: z.unknown(), sent: z.unknown() });
const DemoOrder = z.strictObject({
  status: z.string().max(50).optional(),
  email: z.string().max(254).optional(),
  country: z.string().length(2).optional(),
  sku: z.string().max(25).nullable().optional(),
  quantity: z.int().min(1).max(1000).optional(),
  unitPrice: z.int().min(0).max(10_000_000).optional(),
  vat: z.boolean().optional(),
  shipping: z.int().min(0).max(1_000_000).optional(),
  createdAt: z.iso.datetime().optional(),
  currency: z
    .string()
    .refine((c) => currencyDecimals(c) !== undefined, "is not an ISO 4217 currency code")
    .optional(),
});

const DemoRefund = z.strictObject({
  quantity: z.int().min(0).max(1000).optional(),
  shipping: z.boolean().optional(),
  amount: z.int().min(1).max(100_000_000).optional(),
});

/** A JSON body that may be empty (`{}`), checked against the schema (400 with the issues otherwise). */
async function optionalBody<T extends z.ZodType>(c: { req: { text(): Promise<string> } }, schema: T, what: string): Promise<z.infer<T>> {
  const text = await c.req.text();
  let body: unknown = {};
  try {
    if (text.trim()) body = JSON.parse(text);
  } catch {
    throw invalid("The body is not valid JSON", { issues: [{ path: "", message: "not JSON" }] });
  }
  const input = schema.safeParse(body);
  if (!input.success) throw invalid(`The ${what} is not valid`, { issues: input.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) });
  return input.data;
}

export function orderRoutes(app: StaffApp) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/integrations/{id}/orders",
      tags: ["Orders"],
      summary: "The integration's ledger, newest first",
      ...staff("read"),
      request: { params: IdParam, query: ListQuery },
      responses: { 200: json(LedgerPage), ...commonErrors },
    }),
    async (c) => {
      const integration = await requireIntegration(c.env, c.req.valid("param").id);
      return c.json(await listLedger(getDb(c.env), { integrationId: integration.id, ...c.req.valid("query") }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/integrations/{id}/orders/{orderId}",
      tags: ["Orders"],
      summary: "One order: status, attempts, the order as received and the document as sent",
      ...staff("read"),
      request: { params: OrderParams },
      responses: { 200: json(LedgerDetail), ...commonErrors },
    }),
    async (c) => {
      const { id, orderId } = c.req.valid("param");
      const integration = await requireIntegration(c.env, id);
      const row = await getLedgerRow(getDb(c.env), integration.id, orderId);
      if (!row) throw notFound("Order");
      return c.json((await ledgerDetail(getDb(c.env), row)) as z.infer<typeof LedgerDetail>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/integrations/{id}/orders/{orderId}/transfer-again",
      tags: ["Orders"],
      summary: "Transfer one order again (R8): creates a new document, which counts",
      ...staff("integrations:write"),
      request: { params: OrderParams },
      responses: { 202: json(LedgerEntry, "Accepted"), 422: commonErrors[400], ...commonErrors },
    }),
    async (c) => {
      const { id, orderId } = c.req.valid("param");
      const integration = await requireIntegration(c.env, id);
      const db = getDb(c.env);
      const row = await getLedgerRow(db, integration.id, orderId);
      if (!row) throw notFound("Order");
      const missing = await missingForActivation(c.env, integration);
      if (missing.length) throw unprocessable("settings_incomplete", "Required settings are missing", { missing });
      const entry = await requestTransferAgain(
        c.env,
        row,
        auditStatement(c, "order.transfer_again", { type: "order", id: `${integration.id}/${orderId}`, tenantId: integration.tenantId }),
      );
      return c.json(entry as z.infer<typeof LedgerEntry>, 202);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/integrations/{id}/orders/{orderId}/refunds/{refundId}/transfer-again",
      tags: ["Orders"],
      summary: "Make one refund's credit note again (like R8): a transferred one gets a new credit note; it never counts (R23)",
      ...staff("integrations:write"),
      request: { params: RefundParams },
      responses: { 202: json(CreditNote, "Accepted"), 422: commonErrors[400], ...commonErrors },
    }),
    async (c) => {
      const { id, orderId, refundId } = c.req.valid("param");
      const integration = await requireIntegration(c.env, id);
      const db = getDb(c.env);
      const row = await getCreditNote(db, integration.id, orderId, refundId);
      if (!row) throw notFound("Refund");
      const missing = await missingForActivation(c.env, integration);
      if (missing.length) throw unprocessable("settings_incomplete", "Required settings are missing", { missing });
      const current = await requestCreditNoteAgain(c.env, row, auditStatement(c, "refund.transfer_again", { type: "refund", id: `${integration.id}/${orderId}/${refundId}`, tenantId: integration.tenantId }));
      return c.json(creditNoteView(current) as z.infer<typeof CreditNote>, 202);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/integrations/{id}/sandbox/orders",
      tags: ["Sandbox"],
      summary: "Create a demo order in a sandbox shop (it is polled and transferred like any order)",
      ...staff("integrations:write"),
      request: { params: IdParam, body: { content: { "application/json": { schema: DemoOrder } }, required: false } },
      responses: { 201: json(z.record(z.string(), z.unknown()), "Created"), 422: commonErrors[400], ...commonErrors },
    }),
    async (c) => {
      const integration = await requireIntegration(c.env, c.req.valid("param").id);
      const demo = shopModules[integration.shopModule]?.demo;
      if (!demo) throw unprocessable("not_sandbox", "Demo orders exist only in a sandbox shop");
      const input = await optionalBody(c, DemoOrder, "demo order");
      const order = await demo.createOrder(getDb(c.env), integration.id, input);
      await enqueue(c.env, { type: "poll", integrationId: integration.id });
      return c.json(order, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/integrations/{id}/sandbox/orders/{orderId}/refunds",
      tags: ["Sandbox"],
      summary: "Refund a demo order in part (quantity, shipping, amount) or in full (empty body); it becomes a credit note (R20)",
      ...staff("integrations:write"),
      request: { params: OrderParams, body: { content: { "application/json": { schema: DemoRefund } }, required: false } },
      responses: { 201: json(z.record(z.string(), z.unknown()), "Created"), 422: commonErrors[400], ...commonErrors },
    }),
    async (c) => {
      const { id, orderId } = c.req.valid("param");
      const integration = await requireIntegration(c.env, id);
      const demo = shopModules[integration.shopModule]?.demo;
      if (!demo) throw unprocessable("not_sandbox", "Demo refunds exist only in a sandbox shop");
      const input = await optionalBody(c, DemoRefund, "demo refund");
      const refund = await demo.refundOrder(getDb(c.env), integration.id, orderId, input);
      if (refund === null) throw notFound("Order");
      if (typeof refund === "string") throw unprocessable("refund_exceeds_order", `The refund cannot be made: ${refund}`);
      await enqueue(c.env, { type: "poll", integrationId: integration.id });
      return c.json(refund, 201);
    },
  );
}

