/**
 * Dinero through Visma Connect (R26; developer.dinero.dk/documentation/authorization): the authorize URL
 * with `response_mode=form_post` (Visma posts `code` and `state` back as a form, cross-site, so the state
 * alone names the flow), the code exchange at `/connect/token`, and the organization the token reaches
 * (GET /v1.1/organizations): the integration's, or the only one when none is set yet. The refresh token is
 * stored encrypted as the `refreshToken` setting; the access token is renewed by the module (auth.ts).
 */
import type { FetchFn } from "../../lib/outbound";
import { refusal } from "../connect";
import type { ConnectFlow, Words } from "../types";
import { dineroOrganizations } from "./adapter";
import { exchangeDineroCode, vismaConnectUrl, type DineroEnv } from "./auth";

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
 * Exchanges the code and names the organization. Returns the merchant's words instead when no refresh
 * token comes back (offline access refused) or the token does not reach the organization; throws
 * TransferError when Visma refuses.
 */
export async function connectDinero(env: DineroEnv, fetch: FetchFn, code: string, redirectUri: string, organizationId: string | undefined): Promise<DineroConnection | { refused: Words }> {
  const token = await exchangeDineroCode(env, fetch, code, redirectUri);
  if (!token.refreshToken)
    return { refused: { da: "Visma Connect gav ingen varig adgang (offline_access). Prøv igen, og godkend alle adgange.", en: "Visma Connect gave no lasting access (offline_access). Try again and approve every access asked for." } };
  const orgs = await dineroOrganizations(env, fetch, token.accessToken);
  const list = orgs.map((o) => `${o.name} (${o.id})`).join(", ");
  const org = organizationId ? orgs.find((o) => o.id === organizationId) : orgs.length === 1 ? orgs[0] : undefined;
  if (!org)
    return {
      refused: organizationId
        ? { da: `Dit Dinero-login har ikke adgang til firma ${organizationId} (det giver adgang til: ${list || "ingen"}).`, en: `Your Dinero sign-in has no access to organization ${organizationId} (it reaches: ${list || "none"}).` }
        : { da: `Dit Dinero-login giver adgang til flere firmaer (${list || "ingen"}): angiv firma-id'et i integrationen, og tryk Forbind igen.`, en: `Your Dinero sign-in reaches several organizations (${list || "none"}): enter the organization id in the integration and press Connect again.` },
    };
  return { refreshToken: token.refreshToken, organizationId: org.id, organizationName: org.name };
}

const refusedBy = (why: Words) => refusal(400, { da: `Dinero afviste forbindelsen: ${why.da}`, en: `Dinero refused the connection: ${why.en}` });

export const dineroConnect: ConnectFlow = {
  env: ["DINERO_CLIENT_ID", "DINERO_CLIENT_SECRET"],
  authorizeUrl: ({ env, state, callbackUrl, lang }) => dineroAuthorizeUrl(env, (env as DineroEnv).DINERO_CLIENT_ID!, callbackUrl, state, lang),
  // Visma posts the code cross-site (response_mode=form_post): no session cookie, the state names the flow.
  callback: {
    method: "POST",
    reads: "form",
    state: "state",
    session: false,
    answers: "page",
    expired: { da: "Linket er udløbet eller allerede brugt. Tryk på Forbind Dinero igen fra integrationens side.", en: "The link has expired or was already used. Press Connect Dinero again on the integration's page." },
  },
  async complete({ env, fetch, settings, fields, callbackUrl }) {
    const code = typeof fields.code === "string" ? fields.code : "";
    if (!/^[A-Za-z0-9._~+/=-]{4,2000}$/.test(code)) {
      const why = typeof fields.error === "string" ? ` (${fields.error})` : "";
      return refusal(400, { da: `Dinero sendte ingen godkendelse${why}. Tryk på Forbind Dinero igen.`, en: `Dinero sent no approval${why}. Press Connect Dinero again.` });
    }
    let connection;
    try {
      const orgId = settings.organizationId;
      connection = await connectDinero(env, fetch, code, callbackUrl, orgId === undefined ? undefined : String(orgId));
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return refusedBy({ da: message, en: message });
    }
    if ("refused" in connection) return refusedBy(connection.refused);
    return {
      ok: true,
      credentials: { refreshToken: connection.refreshToken, organizationId: connection.organizationId, organizationName: connection.organizationName },
      account: `${connection.organizationName} (${connection.organizationId})`,
      details: { organizationId: connection.organizationId },
    };
  },
};
