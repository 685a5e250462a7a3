import { z } from "zod";

/** A write-only setting: stored encrypted, never returned (shown as "********"). */
export const secret = () => z.string().min(1).max(2000).meta({ writeOnly: true });

/** A URL of the tenant's own shop: checked by the SSRF guard when set. */
export const shopUrl = () => z.string().max(500).meta({ shopUrl: true });

/**
 * The order states to transfer, chosen from the shop's own states (an unknown value, such as a Danish
 * word typed instead of the code, would silently stop every transfer, so it is refused).
 */
export const orderStates = <const S extends readonly [string, ...string[]]>(states: S, defaults: S[number][]) => z.array(z.enum(states)).max(states.length).default(defaults);

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
