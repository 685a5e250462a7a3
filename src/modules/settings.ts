import { z } from "zod";

/** A write-only setting: stored encrypted, never returned (shown as "********"). */
export const secret = () => z.string().min(1).max(2000).meta({ writeOnly: true });

/** A URL of the tenant's own shop: checked by the SSRF guard when set. */
export const shopUrl = () => z.string().max(500).meta({ shopUrl: true });

export const REDACTED = "********";

type Meta = { writeOnly?: boolean; shopUrl?: boolean };

function metaOf(schema: z.ZodType): Meta {
  let s: z.ZodType | undefined = schema;
  while (s) {
    const m = s.meta() as Meta | undefined;
    if (m && (m.writeOnly || m.shopUrl)) return m;
    const inner: z.ZodType | undefined = (s as unknown as { def: { innerType?: z.ZodType } }).def.innerType;
    s = inner;
  }
  return {};
}

export function fieldsWhere(schema: z.ZodObject, key: keyof Meta): string[] {
  return Object.entries(schema.shape)
    .filter(([, f]) => metaOf(f as z.ZodType)[key])
    .map(([k]) => k);
}
