/**
 * e-conomic (R26): the app installation link (`requestaccess.aspx` with the operator's
 * ECONOMIC_APP_PUBLIC_TOKEN) sends the merchant back with `?token=<agreement grant token>`; the token is
 * checked with `GET /self` and stored (encrypted) as `agreementGrantToken`, with the agreement's name as
 * the connection's account.
 */
import { TransferError } from "../../domain/errors";
import type { FetchFn } from "../../lib/outbound";
import { refusal } from "../connect";
import type { ConnectFlow } from "../types";
import { EconomicClient } from "./client";

type EconomicConnectEnv = Env & { ECONOMIC_APP_PUBLIC_TOKEN?: string; ECONOMIC_CONNECT_URL?: string };

/** Checks a grant token with `GET /self`; the agreement's name and number ("Demo ApS (aftale 123456)"). */
export async function economicAgreement(env: Env, fetch: FetchFn, grantToken: string): Promise<string> {
  if (!env.ECONOMIC_APP_SECRET_TOKEN) throw new TransferError("accounting_auth_failed", "ECONOMIC_APP_SECRET_TOKEN is not configured");
  const client = new EconomicClient({ baseUrl: env.ECONOMIC_API_URL || "https://restapi.e-conomic.com", appSecretToken: env.ECONOMIC_APP_SECRET_TOKEN, agreementGrantToken: grantToken, fetch });
  const self = await client.get<{ agreementNumber?: number; company?: { name?: string } }>("/self");
  return `${self.company?.name ?? "e-conomic"}${self.agreementNumber ? ` (${self.agreementNumber})` : ""}`;
}

export const economicConnect: ConnectFlow = {
  env: ["ECONOMIC_APP_PUBLIC_TOKEN"],
  notConfigured: {
    da: "Forbindelse til e-conomic med et klik er ikke sat op hos orderbridge (ECONOMIC_APP_PUBLIC_TOKEN mangler). Indtast aftale-token under Avanceret, eller kontakt support.",
    en: "One-click e-conomic connection is not set up for orderbridge (ECONOMIC_APP_PUBLIC_TOKEN is missing). Enter the agreement grant token under Advanced, or contact support.",
  },
  authorizeUrl({ env, state, callbackUrl, lang }) {
    const e = env as EconomicConnectEnv;
    const origin = (e.ECONOMIC_CONNECT_URL || "https://secure.e-conomic.com").replace(/\/+$/, "");
    const redirectUrl = `${callbackUrl}?state=${encodeURIComponent(state)}`;
    return `${origin}/secure/api1/requestaccess.aspx?appPublicToken=${encodeURIComponent(e.ECONOMIC_APP_PUBLIC_TOKEN!)}&redirectUrl=${encodeURIComponent(redirectUrl)}&locale=${lang === "da" ? "da-DK" : "en-GB"}`;
  },
  // Bound to the session that started it: without that session's cookie the state is not taken.
  callback: { method: "GET", reads: "query", state: "state", session: true, answers: "page" },
  async complete({ env, fetch, fields }) {
    const token = typeof fields.token === "string" ? fields.token : "";
    if (!/^[A-Za-z0-9_-]{8,200}$/.test(token)) return refusal(400, { da: "e-conomic sendte ikke et gyldigt aftale-token. Prøv igen.", en: "e-conomic did not send a valid agreement grant token. Please try again." });
    let account: string;
    try {
      account = await economicAgreement(env, fetch, token);
    } catch (e) {
      const message = e instanceof TransferError ? e.message : String(e);
      return refusal(400, { da: `e-conomic afviste forbindelsen (${message}). Prøv igen, og tjek at du er administrator på aftalen.`, en: `e-conomic refused the connection (${message}). Try again, and check that you are an administrator of the agreement.` });
    }
    return { ok: true, credentials: { agreementGrantToken: token }, account, details: { account } };
  },
};
