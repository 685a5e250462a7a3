import type { ContentfulStatusCode } from "hono/utils/http-status";

/** An error that becomes the api.md error body: {"error": {code, message, details}}. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const notFound = (what = "Resource") => new ApiError(404, "not_found", `${what} not found`);
export const invalid = (message: string, details?: Record<string, unknown>) =>
  new ApiError(400, "invalid_request", message, details);
export const conflict = (code: string, message: string, details?: Record<string, unknown>) =>
  new ApiError(409, code, message, details);
export const unprocessable = (code: string, message: string, details?: Record<string, unknown>) =>
  new ApiError(422, code, message, details);

/** Always with `details` (an empty object when there is nothing to add), as api.md shows the error shape. */
export function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: { code, message, details: details ?? {} } };
}

/** Zod issues in a stable, client-readable shape. */
export function zodIssues(issues: readonly { path: PropertyKey[]; message: string; code?: string }[]) {
  return { issues: issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message, code: i.code })) };
}
