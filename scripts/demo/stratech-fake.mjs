// A fake Stratech Booking on 127.0.0.1 (CONTRACT.md sections 5 and 7; seeds/003):
// - identity: POST /{organizationReference}/connect/token (form; client_id + client_secret; authorization_code —
//   single-use, bound to its organization and redirect_uri — and refresh_token, rotated) →
//   {access_token, refresh_token, expires_in, token_type}
// - API: GET /v1/channels/{channelReference}/los/{key} with an organization's Bearer access token → the LOS dataset
//   (404 for another organization's dataset or an unknown key)
import { startFake, token } from './http.mjs';

export const STRATECH_CLIENT_ID = 'demo-stratech-client';
export const STRATECH_CLIENT_SECRET = 'demo-stratech-client-secret';

export async function startStratechFake() {
  const codes = new Map();
  const refreshTokens = new Map();
  const accessTokens = new Map();
  const datasets = new Map();
  const issue = (org) => {
    const access = token('st_at_');
    const refresh = token('st_rt_');
    accessTokens.set(access, { org, expiresAt: Date.now() + 3600_000 });
    refreshTokens.set(refresh, org);
    return { access_token: access, refresh_token: refresh, expires_in: 3600, token_type: 'Bearer' };
  };
  const fake = await startFake('stratech', async (req, res, c) => {
    const identity = /^\/([^/]+)\/connect\/token$/.exec(c.path);
    if (identity) {
      if (c.method !== 'POST') return c.send(405, { error: 'method_not_allowed' });
      if (!c.isForm) return c.send(415, { error: 'form encoding expected' });
      const org = decodeURIComponent(identity[1]);
      const form = c.form();
      if (form.client_id !== STRATECH_CLIENT_ID || form.client_secret !== STRATECH_CLIENT_SECRET) return c.send(401, { error: 'invalid_client' });
      if (form.grant_type === 'authorization_code') {
        const code = codes.get(form.code ?? '');
        if (!code || code.used || code.org !== org || code.redirectUri !== form.redirect_uri) return c.send(400, { error: 'invalid_grant' });
        code.used = true;
        return c.send(200, issue(org));
      }
      if (form.grant_type === 'refresh_token') {
        if (refreshTokens.get(form.refresh_token ?? '') !== org) return c.send(400, { error: 'invalid_grant' });
        refreshTokens.delete(form.refresh_token);
        return c.send(200, issue(org));
      }
      return c.send(400, { error: 'unsupported_grant_type' });
    }
    const los = /^\/v1\/channels\/([^/]+)\/los\/([^/]+)$/.exec(c.path);
    if (los && c.method === 'GET') {
      const grant = c.bearer ? accessTokens.get(c.bearer) : undefined;
      if (!grant || grant.expiresAt < Date.now()) return c.send(401, { error: 'invalid_token' });
      const dataset = datasets.get(`${decodeURIComponent(los[1])}|${decodeURIComponent(los[2])}`);
      if (!dataset || dataset.org !== grant.org) return c.send(404, { error: 'not found' });
      return c.send(200, dataset.body);
    }
    return c.send(404, { error: 'no such route' });
  });
  return {
    ...fake,
    env: (webhookSecret) => ({
      STRATECH_API_URL: fake.baseUrl,
      STRATECH_TOKEN_URL: `${fake.baseUrl}/{organizationReference}/connect/token`,
      STRATECH_CLIENT_ID,
      STRATECH_CLIENT_SECRET,
      STRATECH_WEBHOOK_SECRET: webhookSecret,
    }),
    /** The code Stratech hands out when a user of `org` connects the platform (sent in Authorization.code.created). */
    issueCode(org, redirectUri) {
      const code = token('code_');
      codes.set(code, { org, redirectUri, used: false });
      return code;
    },
    putDataset(dataset) {
      datasets.set(`${dataset.channelReference}|${dataset.key}`, { org: dataset.organizationReference, body: JSON.stringify(dataset) });
    },
  };
}
