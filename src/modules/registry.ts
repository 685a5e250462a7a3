import { z } from "zod";
import { checkShopUrl } from "./http/ssrf";
import { modules } from ".";
import type { ModuleDescriptor } from "./types";
import { fieldsWhere, REDACTED, type ModuleSettings } from "./settings";

export type Side = "shop" | "accounting";

/** A module as the settings code sees it: its descriptor (src/modules/<id>/index.ts). */
export type ModuleRegistration = ModuleDescriptor;

export function listModules(side: Side): ModuleRegistration[] {
  return modules.filter((m) => m.side === side);
}

export function getModule(side: Side, id: string): ModuleRegistration | undefined {
  return modules.find((m) => m.side === side && m.id === id);
}

/** Where a module's connect flow lives (src/connect/ mounts it, the settings page links to it): `/connect/<id>/start`, `/callback`, and the bare path for an install entry. */
export const connectPath = (m: Pick<ModuleRegistration, "id">, step?: "start" | "callback") => `/connect/${m.id}${step ? `/${step}` : ""}`;

export const secretFields = (m: ModuleRegistration) => fieldsWhere(m.settings, "writeOnly");
export const shopUrlFields = (m: ModuleRegistration) => fieldsWhere(m.settings, "shopUrl");

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let v = root;
  for (const p of path) v = v == null || typeof v !== "object" ? undefined : (v as Record<PropertyKey, unknown>)[p];
  return v;
}

export interface SettingsIssue {
  path: string;
  message: string;
  /** What is wrong, for a message in the merchant's words: zod's issue code, "unknown" or "shop_url". */
  code: string;
  /** zod's `expected` (or `origin`: "number", "string"), `minimum`/`maximum`, or `format` of the issue, where it has one. */
  expected?: string;
  limit?: number;
  format?: string;
}

/**
 * Validates the fields that are given (settings may be incomplete until activation, R1): unknown
 * fields and wrong types are refused; shop URLs pass the SSRF guard.
 */
export function validateSettings(
  m: ModuleRegistration,
  input: Record<string, unknown>,
  opts: { allowHttpShopUrls: boolean },
): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  const shape = m.settings.shape as Record<string, z.ZodType>;
  const urls = new Set(shopUrlFields(m));
  for (const [key, value] of Object.entries(input)) {
    // Only the schema's own keys: `constructor`, `toString`, `__proto__` … are unknown settings too.
    const field = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (!field) {
      issues.push({ path: key, message: "is not a setting of this module", code: "unknown" });
      continue;
    }
    const r = field.safeParse(value);
    // A nested field that is absent is not invalid, only missing (R1 lists it at activation).
    const invalidIssues = r.success ? [] : r.error.issues.filter((i) => i.path.length === 0 || valueAt(value, i.path) !== undefined);
    if (invalidIssues.length) {
      for (const i of invalidIssues) {
        const raw = i as { expected?: string; origin?: string; minimum?: number | bigint; maximum?: number | bigint; format?: string };
        const limit = raw.minimum ?? raw.maximum;
        issues.push({
          path: [key, ...i.path.map(String)].join("."),
          message: i.message,
          code: i.code,
          ...(raw.expected || raw.origin ? { expected: String(raw.expected ?? raw.origin) } : {}),
          ...(limit !== undefined ? { limit: Number(limit) } : {}),
          ...(raw.format ? { format: raw.format } : {}),
        });
      }
      continue;
    }
    if (urls.has(key)) {
      const check = checkShopUrl(String(value), opts.allowHttpShopUrls);
      if (!check.ok) issues.push({ path: key, message: `${key} ${check.reason}`, code: "shop_url" });
    }
  }
  return issues;
}

/** The settings paths activation still needs (R1), e.g. ["layoutNumber", "vatZones.eu"]. */
export function missingSettings(m: ModuleRegistration, settings: Record<string, unknown>): string[] {
  const r = m.settings.safeParse(settings);
  if (r.success) return [];
  const missing = new Set<string>();
  for (const issue of r.error.issues) {
    if (valueAt(settings, issue.path) === undefined) missing.add(issue.path.map(String).join("."));
  }
  return [...missing];
}

/** The complete settings with defaults applied, for a module in use (only valid after activation checks). */
export function effectiveSettings<T = ModuleSettings>(m: ModuleRegistration, settings: Record<string, unknown>): T {
  const r = m.settings.safeParse(settings);
  return (r.success ? r.data : settings) as T;
}

/** Splits input into plain settings and secret settings. */
export function splitSecrets(m: ModuleRegistration, input: Record<string, unknown>) {
  const secrets = new Set(secretFields(m));
  const plain: Record<string, unknown> = {};
  const secret: Record<string, string> = {};
  for (const [k, v] of Object.entries(input)) {
    // A secret sent back as shown ("********") keeps the stored value.
    if (secrets.has(k)) {
      if (v !== REDACTED) secret[k] = String(v);
    } else plain[k] = v;
  }
  return { plain, secret };
}

/** Settings as responses show them: defaults applied, secrets that are set shown as "********". */
export function redactedSettings(m: ModuleRegistration, plain: Record<string, unknown>, secretKeysSet: string[]) {
  const shape = m.settings.shape as Record<string, z.ZodType>;
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(shape)) {
    if (k in plain) out[k] = plain[k];
    else {
      const d = f.safeParse(undefined);
      if (d.success && d.data !== undefined) out[k] = d.data;
    }
  }
  for (const k of secretKeysSet) out[k] = REDACTED;
  return out;
}
