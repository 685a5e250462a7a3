/**
 * The settings form, generated from a module's zod settings schema (the walker next door, settings.ts,
 * finds its secret and shop-URL fields): one field per setting, typed by the schema (number, yes/no, a
 * choice, the shop's own states to tick, a group), and the posted form read back into a settings patch.
 * Pure: the settings page renders the fields, the registry validates the patch.
 */
import type { z } from "zod";
import { secretFields, type ModuleRegistration, type Side } from "./registry";

export type FieldKind = "string" | "number" | "boolean" | "enum" | "list" | "object";
export interface FieldSpec {
  key: string;
  name: string;
  kind: FieldKind;
  required: boolean;
  secret: boolean;
  options?: string[];
  children?: FieldSpec[];
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s as unknown as { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } };
  while (["default", "optional", "nullable", "prefault", "pipe"].includes(cur.def.type)) {
    const next = cur.def.innerType ?? cur.def.in;
    if (!next) break;
    cur = next as unknown as typeof cur;
  }
  return cur as unknown as z.ZodType;
}

function specOf(key: string, name: string, schema: z.ZodType, secrets: Set<string>): FieldSpec {
  const inner = unwrap(schema) as unknown as { def: { type: string; entries?: Record<string, string> }; shape?: Record<string, z.ZodType> };
  const required = !schema.safeParse(undefined).success;
  const base = { key, name, required, secret: secrets.has(key) };
  switch (inner.def.type) {
    case "number":
    case "int":
      return { ...base, kind: "number" };
    case "boolean":
      return { ...base, kind: "boolean" };
    case "enum":
      return { ...base, kind: "enum", options: Object.values(inner.def.entries ?? {}) };
    case "array": {
      // A list of the shop's own states (orderStates) is chosen by ticking, never typed.
      const element = unwrap((inner.def as unknown as { element: z.ZodType }).element) as unknown as { def: { type: string; entries?: Record<string, string> } };
      return { ...base, kind: "list", ...(element.def.type === "enum" ? { options: Object.values(element.def.entries ?? {}) } : {}) };
    }
    case "object":
      return { ...base, kind: "object", children: Object.entries(inner.shape ?? {}).map(([k, f]) => specOf(k, `${name}.${k}`, f, new Set())) };
    default:
      return { ...base, kind: "string" };
  }
}

export function formSpec(m: ModuleRegistration, side: Side): FieldSpec[] {
  const secrets = new Set(secretFields(m));
  return Object.entries(m.settings.shape as Record<string, z.ZodType>).map(([k, f]) => specOf(k, `${side}.${k}`, f, secrets));
}

/** Reads one side's fields from the posted form: empty means "unchanged"; numbers that do not parse stay text (the schema refuses them). */
export function readSide(specs: FieldSpec[], form: Record<string, unknown>, current: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of specs) {
    if (f.kind === "object") {
      const nested = readSide(f.children!, form, (current[f.key] as Record<string, unknown>) ?? {});
      // Settings merge one level deep: keep the object's other current values.
      if (Object.keys(nested).length) out[f.key] = { ...((current[f.key] as Record<string, unknown>) ?? {}), ...nested };
      continue;
    }
    if (f.kind === "list" && f.options) {
      // Ticked boxes; the hidden empty value marks the list as shown, so ticking none is a choice, not "unchanged".
      if (!(f.name in form)) continue;
      out[f.key] = ([] as unknown[]).concat(form[f.name]).filter((v): v is string => typeof v === "string" && v !== "");
      continue;
    }
    const raw = typeof form[f.name] === "string" ? (form[f.name] as string).trim() : "";
    if (raw === "") continue;
    if (f.kind === "number") out[f.key] = /^-?\d{1,15}$/.test(raw) ? Number(raw) : raw;
    else if (f.kind === "boolean") out[f.key] = raw === "true" ? true : raw === "false" ? false : raw;
    else if (f.kind === "list") out[f.key] = raw.split(",").map((s) => s.trim()).filter(Boolean);
    else out[f.key] = raw;
  }
  return out;
}
