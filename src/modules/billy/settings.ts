import { z } from "zod";
import { secret } from "../settings";

const billyId = () => z.string().min(1).max(100);

export const billySettings = z
  .strictObject({
    accessToken: secret(),
    shippingProductNo: z.string().min(1).max(100),
    /** "booked" = Billy's `approved` state. */
    documentType: z.enum(["draft", "booked"]).default("draft"),
    allowDraftUpdates: z.boolean().default(true),
    autoCreateProducts: z.boolean().default(false),
    productAccountId: billyId().optional(),
    salesTaxRulesetId: billyId().optional(),
    roundingThreshold: z.int().min(0).max(100_000).optional(),
    creditRefunds: z.boolean().default(true),
    /** The organization the token belongs to (GET /v2/organization), stored when the token is checked. */
    organizationName: z.string().max(255).optional(),
  })
  .superRefine((s, ctx) => {
    if (!s.autoCreateProducts) return;
    for (const key of ["productAccountId", "salesTaxRulesetId"] as const)
      if (s[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: "required when autoCreateProducts is on", input: undefined });
  }, { when: (payload) => typeof payload.value === "object" && payload.value !== null });

export type BillySettings = z.output<typeof billySettings>;
