import { invalid } from "./errors";

/** The opaque cursor of a newest-first list: the last item's time and id. */
export const encodeCursor = (at: string, id: string) => btoa(JSON.stringify([at, id])).replace(/=+$/, "");

export function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(atob(cursor));
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "string")) return v as [string, string];
  } catch {}
  throw invalid("The cursor is not valid", { issues: [{ path: "cursor", message: "not a cursor from this API" }] });
}
