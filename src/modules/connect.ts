/** What connect flows (R26) share: their types are in types.ts, their routes in src/connect/. */
import type { ConnectRefusal, Words } from "./types";

/** A callback or install not taken, with the words the merchant (or the system) is told. */
export const refusal = (status: ConnectRefusal["status"], text: Words | string, code?: string): ConnectRefusal => ({ ok: false, status, text, ...(code ? { code } : {}) });
