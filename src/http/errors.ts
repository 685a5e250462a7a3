import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError, errorBody, zodIssues } from "../lib/errors";

export const onError: ErrorHandler = (err, c) => {
  if (err instanceof ApiError) return c.json(errorBody(err.code, err.message, err.details), err.status);
  if (err instanceof HTTPException) {
    const status = err.status;
    const code =
      status === 400 ? "invalid_request" : status === 401 ? "unauthorized" : status === 413 ? "payload_too_large" : status === 415 ? "unsupported_media_type" : "error";
    return c.json(errorBody(code, err.message || "Request refused"), status);
  }
  // Never a stack trace to the client; the log keeps the message (no secrets are in error messages).
  console.error("unhandled error", c.req.method, c.req.path, err instanceof Error ? err.message : String(err));
  return c.json(errorBody("internal_error", "Something went wrong on our side; it has been logged."), 500);
};

/** The zod-openapi validation hook: every schema failure is a 400 invalid_request with the issues. */
export function validationHook(result: { success: boolean; error?: { issues: readonly { path: PropertyKey[]; message: string; code?: string }[] } }, c: Context) {
  if (!result.success) return c.json(errorBody("invalid_request", "The request is not valid", zodIssues(result.error!.issues)), 400);
}
