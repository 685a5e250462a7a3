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

/**
 * The settings that the core reads by name (issue #12), with one type and default wherever a module has
 * them: a module's schema takes its field from here, so `documentType` means the same in every system.
 */
export const coreSettings = {
  /** Documents are left as drafts or booked (approved). */
  documentType: () => z.enum(["draft", "booked"]).default("draft"),
  /** R7: a draft is updated when its order changes. */
  allowDraftUpdates: () => z.boolean().default(true),
  /** R20/R23: refunds and cancellations become credit notes. */
  creditRefunds: () => z.boolean().default(true),
  /** R24: the document in the shop's currency (default) or the one the customer paid in. */
  documentCurrency: () => z.enum(["shop", "presentment"]).default("shop"),
  /** The secret that signs a webhook shop's deliveries (typed, or made by the connect flow). */
  webhookSecret: () => secret(),
};

/** The core settings as the core reads them (absent where a module does not have one). */
export type CoreSettings = { [K in keyof typeof coreSettings]?: z.output<ReturnType<(typeof coreSettings)[K]>> };

/** A module's complete settings: its own, and the core settings typed once. */
export type ModuleSettings = Record<string, unknown> & CoreSettings;

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
