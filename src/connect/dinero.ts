/**
 * Dinero through Visma Connect (R26; developer.dinero.dk/documentation/authorization): the authorize URL
 * with `response_mode=form_post` (Visma posts `code` and `state` back as a form, cross-site, so the state
 * alone names the flow), the code exchange at `/connect/token`, and the organization the token reaches
 * (GET /v1.1/organizations): the integration's, or the only one when none is set yet. The refresh token is
 * stored encrypted as the `refreshToken` setting; the access token is renewed by the module (auth.ts).
 */
import { TransferError } from "../domain/errors";
import type { FetchFn } from "../lib/outbound";
import { dineroOrganizations } from "../modules/dinero/adapter";
import { exchangeDineroCode, vismaConnectUrl, type DineroEnv } from "../modules/dinero/auth";

export const DINERO_SCOPES = "dineropublicapi:read dineropublicapi:write offline_access";

export function dineroAuthorizeUrl(env: DineroEnv, clientId: string, redirectUri: string, state: string, lang: "da" | "en") {
  const q = new URLSearchParams({
    client_id: clientId,
    response_type: "code",
    response_mode: "form_post",
    scope: DINERO_SCOPES,
    redirect_uri: redirectUri,
    state,
    ui_locales: lang === "da" ? "da-DK" : "en-GB",
  });
  return `${vismaConnectUrl(env)}/connect/authorize?${q}`;
}

export interface DineroConnection {
  refreshToken: string;
  organizationId: string;
  organizationName: string;
}

/**
 * Exchanges the code and names the organization. Throws TransferError (accounting_auth_failed) with a
 * sentence for the merchant when Visma refuses, no refresh token comes back (offline access refused), or
 * the token does not reach the organization.
 */
export async function connectDinero(env: DineroEnv, fetch: FetchFn, code: string, redirectUri: string, organizationId: string | undefined, da: boolean): Promise<DineroConnection> {
  const token = await exchangeDineroCode(env, fetch, code, redirectUri);
  if (!token.refreshToken)
    throw new TransferError("accounting_auth_failed", da ? "Visma Connect gav ingen varig adgang (offline_access). Prøv igen, og godkend alle adgange." : "Visma Connect gave no lasting access (offline_access). Try again and approve every access asked for.");
  const orgs = await dineroOrganizations(env, fetch, token.accessToken);
  const list = orgs.map((o) => `${o.name} (${o.id})`).join(", ");
  const org = organizationId ? orgs.find((o) => o.id === organizationId) : orgs.length === 1 ? orgs[0] : undefined;
  if (!org)
    throw new TransferError(
      "accounting_auth_failed",
      organizationId
        ? da ? `Dit Dinero-login har ikke adgang til firma ${organizationId} (det giver adgang til: ${list || "ingen"}).` : `Your Dinero sign-in has no access to organization ${organizationId} (it reaches: ${list || "none"}).`
        : da ? `Dit Dinero-login giver adgang til flere firmaer (${list || "ingen"}): angiv firma-id'et i integrationen, og tryk Forbind igen.` : `Your Dinero sign-in reaches several organizations (${list || "none"}): enter the organization id in the integration and press Connect again.`,
    );
  return { refreshToken: token.refreshToken, organizationId: org.id, organizationName: org.name };
}
