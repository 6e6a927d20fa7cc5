/**
 * Every detail of Syncaroo tier 2 that Syncaroo publishes only as field names and this server had to assume
 * (CONTRACT.md section 9, "Assumed"): the OAuth parameter spellings, the lifetimes, the registration paths and
 * the check_connection exchange. Change them here if Syncaroo's integration team says otherwise.
 */
import type { AppConfig } from '../../../config/app-config';

export const ACCESS_TOKEN_LIFETIME_S = 3600;
export const REFRESH_TOKEN_LIFETIME_S = 90 * 24 * 3600;
export const AUTHORIZATION_CODE_LIFETIME_S = 600;

/** Syncaroo's camelCase names, accepted beside RFC 6749's. */
const AUTHORIZE_ALIASES: Record<string, string> = {
  responseType: 'response_type', clientId: 'client_id', redirectUri: 'redirect_uri',
  codeChallenge: 'code_challenge', codeChallengeMethod: 'code_challenge_method',
};
export const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'code_challenge', 'code_challenge_method'] as const;
export type AuthorizeParams = Partial<Record<(typeof AUTHORIZE_PARAMS)[number], string>>;

/** The authorize request in RFC names; a parameter given twice (an array) is dropped, so it reads as missing. */
export function normaliseAuthorizeParams(raw: Record<string, unknown>): AuthorizeParams {
  const out: AuthorizeParams = {};
  for (const [key, value] of Object.entries(raw ?? {})) {
    const name = (AUTHORIZE_ALIASES[key] ?? key) as (typeof AUTHORIZE_PARAMS)[number];
    if ((AUTHORIZE_PARAMS as readonly string[]).includes(name) && typeof value === 'string' && value.length <= 2000) out[name] ??= value;
  }
  return out;
}

/** What the operator enters in Syncaroo's partner settings (served at GET /admin/syncaroo/registration). */
export function registrationValues(config: AppConfig) {
  const base = config.publicUrl;
  return {
    siteUri: base,
    apiUri: `${base}/syncaroo/`,
    authUri: `${base}/oauth/syncaroo/authorize`,
    authTokenUri: `${base}/oauth/syncaroo/token`,
    webhookPath: 'update/',
    checkConnectionPath: 'check_connection/',
    yourClientId: config.syncarooPartner?.clientId ?? null,
    // The operator has it in the environment; the API does not echo secrets.
    yourClientSecret: null,
  };
}

/**
 * check_connection's `connectionId`: an integer on Syncaroo's side (query, JSON or form), a decimal string here.
 * undefined = not sent; null = sent but not an integer.
 */
export function readConnectionId(query: Record<string, unknown>, body: unknown): string | null | undefined {
  const fromBody = body && typeof body === 'object' ? (body as Record<string, unknown>).connectionId : undefined;
  const value = query.connectionId ?? fromBody;
  if (value === undefined || value === '') return undefined;
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  return /^(0|[1-9]\d{0,15})$/.test(text) && Number.isSafeInteger(Number(text)) ? text : null;
}
