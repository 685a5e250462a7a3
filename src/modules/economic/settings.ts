import { z } from "zod";
import { coreSettings, secret } from "../settings";

const number = () => z.int().positive().max(2_000_000_000);
const productNumber = () => z.string().min(1).max(25);

export const economicSettings = z
  .strictObject({
    agreementGrantToken: secret(),
    layoutNumber: number(),
    paymentTermsNumber: number(),
    customerGroupNumber: number(),
    vatZones: z.strictObject({ domestic: number(), eu: number(), abroad: number() }),
    shippingProductNumber: productNumber(),
    documentType: coreSettings.documentType(),
    autoCreateProducts: z.boolean().default(false),
    productGroupNumber: number().optional(),
    allowDraftUpdates: coreSettings.allowDraftUpdates(),
    roundingProductNumber: productNumber().optional(),
    roundingThreshold: z.int().min(0).max(100_000).optional(),
    /** per_customer: one e-conomic customer per buyer (by email); collective: private buyers share one debtor. */
    customerMode: z.enum(["per_customer", "collective"]).default("per_customer"),
    /** The fixed debtor of private buyers in collective mode (their name and address go on the invoice as recipient). */
    collectiveCustomerNumber: number().optional(),
    /** R23: refunds and cancellations become credit notes. */
    creditRefunds: coreSettings.creditRefunds(),
  })
  .superRefine((s, ctx) => {
    if (s.autoCreateProducts && s.productGroupNumber === undefined)
      ctx.addIssue({ code: "custom", path: ["productGroupNumber"], message: "required when autoCreateProducts is on", input: undefined });
    if (s.customerMode === "collective" && s.collectiveCustomerNumber === undefined)
      ctx.addIssue({ code: "custom", path: ["collectiveCustomerNumber"], message: "required when customerMode is collective", input: undefined });
    // Also while other settings are missing, so activation lists every missing setting at once (R1).
  }, { when: (payload) => typeof payload.value === "object" && payload.value !== null });

export type EconomicSettings = z.output<typeof economicSettings>;
