import { z } from "zod";
import { coreSettings, secret } from "../settings";

/** A Dinero account number (kontonummer), e.g. 1000 "Salg af varer/ydelser m/moms". */
const account = () => z.int().positive().max(99_999_999);

export const dineroSettings = z
  .strictObject({
    /** Dinero's organization id (firma-id), digits; a number is accepted and kept as a string. */
    organizationId: z.union([z.string().regex(/^\d{1,12}$/, "must be digits"), z.int().positive().max(999_999_999_999)]).transform(String),
    /** The per-organization API key of a personal integration (Dinero → Indstillinger → Integrationer → API-nøgle). */
    apiKey: secret().optional(),
    /** Filled in by /connect/dinero (Visma Connect): the refresh token; it takes precedence over an API key. */
    refreshToken: secret().optional(),
    /** The sales account per VAT treatment: Dinero's VAT follows the account (1000 with VAT, 1050 without). */
    accounts: z.strictObject({ domestic: account(), eu: account(), abroad: account() }),
    documentType: coreSettings.documentType(),
    allowDraftUpdates: coreSettings.allowDraftUpdates(),
    /** Netto N days; 0 = netto kontant (NettoCash). */
    paymentConditionDays: z.int().min(0).max(365).default(0),
    /** Minor units: a totals difference up to this goes on a rounding line (on the VAT-free `accounts.abroad`). */
    roundingThreshold: z.int().min(0).max(100_000).optional(),
    creditRefunds: coreSettings.creditRefunds(),
    /** The organization's name, stored when the credentials are checked. */
    organizationName: z.string().max(255).optional(),
  })
  .superRefine((s, ctx) => {
    // One of the two credentials (R1): the missing list names the API key, the credential a merchant can type.
    if (s.apiKey === undefined && s.refreshToken === undefined)
      ctx.addIssue({ code: "custom", path: ["apiKey"], message: "an API key or a Dinero connection (/connect/dinero) is required", input: undefined });
  }, { when: (payload) => typeof payload.value === "object" && payload.value !== null });

export type DineroSettings = z.output<typeof dineroSettings>;
