/**
 * The settings that the core reads by name (CoreSettings in src/modules/settings.ts) mean the same in
 * every module of the list that has them: the same values taken, the same refused, the same default.
 * A module that typed `documentType` its own way (another default, a third value) fails here.
 */
import { describe, expect, it } from "vitest";
import { modules } from "../../src/modules";
import { coreSettings } from "../../src/modules/settings";
import type { z } from "zod";

/** Values every core setting is tried with: its own, others' and nonsense. */
const probes: unknown[] = [undefined, true, false, "draft", "booked", "shop", "presentment", "s3cret-value", "", 0, 1, null, ["draft"], { a: 1 }];

const outcome = (schema: z.ZodType, v: unknown) => {
  const r = schema.safeParse(v);
  return r.success ? { ok: true, value: r.data } : { ok: false };
};

describe("core settings, typed once", () => {
  const uses = modules.flatMap((m) => Object.keys(coreSettings).filter((k) => Object.hasOwn(m.settings.shape, k)).map((k) => [m.side, m.id, k] as const));

  it("the core settings are used by the modules that the core reads them from", () => {
    const keys = new Set(uses.map(([, , k]) => k));
    expect([...keys].sort()).toEqual(Object.keys(coreSettings).sort());
    // Every accounting module decides drafts, draft updates (R7) and credit notes (R20) the same way.
    for (const m of modules.filter((x) => x.side === "accounting"))
      for (const k of ["documentType", "allowDraftUpdates", "creditRefunds"]) expect(Object.hasOwn(m.settings.shape, k), `${m.id}.${k}`).toBe(true);
  });

  it.each(uses)("%s %s: %s takes, refuses and defaults as the core's", (side, id, key) => {
    const m = modules.find((x) => x.side === side && x.id === id)!;
    const field = (m.settings.shape as Record<string, z.ZodType>)[key];
    const core = coreSettings[key as keyof typeof coreSettings]();
    for (const v of probes) expect(outcome(field, v), `${id}.${key} = ${JSON.stringify(v)}`).toEqual(outcome(core, v));
  });
});
