// A fake Lockme on 127.0.0.1 (CONTRACT.md sections 5 and 7; seeds/002):
// - POST /access_token (form; client_id + client_secret; grants authorization_code and refresh_token, refresh tokens
//   rotated, codes single-use and bound to their redirect_uri) → {access_token, refresh_token, expires_in}
// - under /v2.3, with a valid Bearer access token (401 `{message}` otherwise):
//   GET /message/{id} → the message; POST /message/{id} → true (marked read); GET /rooms → [{roomid, room, department}];
//   GET /room/{roomid}/reservations/{Y-m-d} → that day's reservations (what a resync reads).
import { startFake, token } from './http.mjs';

export const LOCKME_CLIENT_ID = 'demo-lockme-client';
export const LOCKME_CLIENT_SECRET = 'demo-lockme-client-secret';

export async function startLockmeFake(rooms) {
  const messages = new Map();
  const read = new Set();
  const reservations = new Map();
  const codes = new Map();
  const refreshTokens = new Set();
  const accessTokens = new Map();
  const issue = () => {
    const accessToken = token('lm_at_');
    const refreshToken = token('lm_rt_');
    const expiresAt = Date.now() + 3600_000;
    accessTokens.set(accessToken, expiresAt);
    refreshTokens.add(refreshToken);
    return { accessToken, refreshToken, expiresAt: new Date(expiresAt).toISOString() };
  };
  const fake = await startFake('lockme', async (req, res, c) => {
    if (c.path === '/access_token') {
      if (c.method !== 'POST') return c.send(405, { message: 'POST only' });
      if (!c.isForm) return c.send(415, { message: 'form encoding expected' });
      const form = c.form();
      if (form.client_id !== LOCKME_CLIENT_ID || form.client_secret !== LOCKME_CLIENT_SECRET) return c.send(401, { error: 'invalid_client' });
      if (form.grant_type === 'authorization_code') {
        const code = codes.get(form.code ?? '');
        if (!code || code.used || code.redirectUri !== form.redirect_uri) return c.send(400, { error: 'invalid_grant' });
        code.used = true;
      } else if (form.grant_type === 'refresh_token') {
        if (!refreshTokens.delete(form.refresh_token ?? '')) return c.send(400, { error: 'invalid_grant' });
      } else {
        return c.send(400, { error: 'unsupported_grant_type' });
      }
      const t = issue();
      return c.send(200, { access_token: t.accessToken, refresh_token: t.refreshToken, expires_in: 3600 });
    }
    if (!c.path.startsWith('/v2.3/')) return c.send(404, { message: 'no such route' });
    const expires = c.bearer ? accessTokens.get(c.bearer) : undefined;
    if (!expires || expires < Date.now()) return c.send(401, { message: 'Invalid access token' });
    const message = /^\/v2\.3\/message\/(\d+)$/.exec(c.path);
    if (message) {
      if (!messages.has(message[1])) return c.send(404, { message: 'Message not found' });
      if (c.method === 'GET') return c.send(200, messages.get(message[1]));
      if (c.method === 'POST') {
        read.add(message[1]);
        return c.send(200, true);
      }
    }
    if (c.path === '/v2.3/rooms' && c.method === 'GET') return c.send(200, rooms);
    const day = /^\/v2\.3\/room\/([^/]+)\/reservations\/(\d{4}-\d{2}-\d{2})$/.exec(c.path);
    if (day && c.method === 'GET') {
      const list = [...reservations.values()].filter((r) => String(r.roomid) === day[1] && r.date === day[2]);
      return c.send(200, list);
    }
    return c.send(404, { message: 'no such route' });
  });
  return {
    ...fake,
    /** Messages the server marked read (POST /message/{id}). */
    read,
    env: () => ({
      LOCKME_API_URL: `${fake.baseUrl}/v2.3`,
      LOCKME_TOKEN_URL: `${fake.baseUrl}/access_token`,
      LOCKME_AUTHORIZE_URL: `${fake.baseUrl}/authorize`,
      LOCKME_CLIENT_ID,
      LOCKME_CLIENT_SECRET,
    }),
    /** A token pair Lockme issued to the operator (pasted into the connection's credentials). */
    grant: issue,
    /** A message Lockme has for us; its reservation is now in the room's calendar (or gone, for `delete`). */
    publish(id, body) {
      messages.set(String(id), body);
      if (body.action === 'delete') reservations.delete(String(body.reservationid));
      else if (body.action === 'add' || body.action === 'edit') {
        reservations.set(String(body.reservationid), { reservationid: body.reservationid, ...body.data });
      }
    },
  };
}
