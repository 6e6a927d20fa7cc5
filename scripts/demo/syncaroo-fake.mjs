// A fake Syncaroo Data Sync API on 127.0.0.1, as the server sees the real one (CONTRACT.md sections 5 and 7):
// - POST /api/v1/oauth/token (form, grant_type=client_credentials, client_id + client_secret) → {access_token, token_type, expires_in}
// - every other call needs `Authorization: Bearer <a token it issued>` (401 otherwise)
// - GET of a document set with `set(path, doc)` → 200 JSON, anything else → 404
// - POST {…}/resources/{syncarooId}/mapped `{"resourceId": "…"}`: the platform tells Syncaroo the id it gave a new
//   resource; remembered in `mappedIds` (syncarooId → resourceId) so later webhooks carry it, as Syncaroo's do.
import { createHmac } from 'node:crypto';
import { startFake, token } from './http.mjs';

export const SYNCAROO_CLIENT_ID = 'demo-syncaroo-client';
export const SYNCAROO_CLIENT_SECRET = 'demo-syncaroo-client-secret';

export async function startSyncarooFake() {
  const docs = new Map();
  const tokens = new Map();
  const mappedIds = new Map();
  const fake = await startFake('syncaroo', async (req, res, c) => {
    if (c.path === '/api/v1/oauth/token') {
      if (c.method !== 'POST') return c.send(405, { error: 'method_not_allowed' });
      const form = c.form();
      if (!c.isForm || form.grant_type !== 'client_credentials') return c.send(400, { error: 'unsupported_grant_type' });
      if (form.client_id !== SYNCAROO_CLIENT_ID || form.client_secret !== SYNCAROO_CLIENT_SECRET) return c.send(401, { error: 'invalid_client' });
      const issued = token('syn_');
      tokens.set(issued, Date.now() + 3600_000);
      return c.send(200, { access_token: issued, token_type: 'Bearer', expires_in: 3600 });
    }
    const expires = c.bearer ? tokens.get(c.bearer) : undefined;
    if (!expires || expires < Date.now()) return c.send(401, { error: 'invalid_token' });
    if (c.method === 'GET') return docs.has(c.path) ? c.send(200, docs.get(c.path)) : c.send(404, { error: 'not found' });
    const mapped = /\/resources\/([^/]+)\/mapped$/.exec(c.path);
    if (c.method === 'POST' && mapped) {
      let body;
      try {
        body = JSON.parse(c.raw);
      } catch {
        return c.send(400, { error: 'body must be JSON' });
      }
      if (typeof body?.resourceId !== 'string' || body.resourceId === '') return c.send(400, { error: 'resourceId required' });
      mappedIds.set(decodeURIComponent(mapped[1]), body.resourceId);
      return c.send(200, { ok: true });
    }
    return c.send(404, { error: 'no such route' });
  });
  return {
    ...fake,
    apiUrl: `${fake.baseUrl}/api/v1`,
    mappedIds,
    /** `path` under the host, e.g. `/api/v1/555/locations/…/resources/…`. */
    set: (path, doc) => docs.set(path, doc),
    env(webhookSecret) {
      return {
        SYNCAROO_API_URL: `${fake.baseUrl}/api/v1`,
        SYNCAROO_CLIENT_ID,
        SYNCAROO_CLIENT_SECRET,
        SYNCAROO_WEBHOOK_SECRET: webhookSecret,
      };
    },
  };
}

/** The body with `hash` appended: lowercase hex HMAC-SHA256 over JSON.stringify of the body without it (CONTRACT.md 4). */
export function signSyncaroo(body, secret) {
  const { hash: _old, ...rest } = body;
  return { ...rest, hash: createHmac('sha256', secret).update(JSON.stringify(rest)).digest('hex') };
}
