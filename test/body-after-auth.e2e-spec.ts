import { request as httpRequest } from 'node:http';
import { startTestApp, READ_TOKEN, ADMIN_TOKEN, TestContext } from './support/test-app';

/**
 * The body is read and parsed only after the cheap check of its route: a Stratech webhook's path secret,
 * a Lockme webhook's key, the Bearer token of the admin and read API. So an unauthenticated client cannot
 * make the server read or parse a body; an authenticated one still gets 400 (not JSON) and 413 (too large).
 */
const STRATECH_SECRET = 'body-after-auth-stratech-secret-7q2w';
const MAX = 1048576; // WEBHOOK_MAX_BYTES default
/** Invalid JSON just under the limit: parsing it answers 400. */
const UNDER = Buffer.from(`{"x":"${'a'.repeat(MAX - 100)}`);
/** Over the limit: reading it answers 413. */
const OVER = Buffer.from(`{"x":"${'a'.repeat(MAX + 10)}"}`);

interface Answer { status: number; contentType: string; body: Record<string, any> | null }

describe('bodies are read only after the route is authenticated', () => {
  let ctx: TestContext;
  let lockmeKeyPath: string;

  beforeAll(async () => {
    ctx = await startTestApp({
      STRATECH_CLIENT_ID: 'id', STRATECH_CLIENT_SECRET: 'body-after-auth-client-secret', STRATECH_WEBHOOK_SECRET: STRATECH_SECRET,
      STRATECH_API_URL: 'http://127.0.0.1:9', STRATECH_TOKEN_URL: 'http://127.0.0.1:9/{organizationReference}/token',
      LOCKME_CLIENT_ID: 'lockme-client', LOCKME_CLIENT_SECRET: 'lockme-client-secret',
      LOCKME_API_URL: 'http://127.0.0.1:9/v2.3', LOCKME_TOKEN_URL: 'http://127.0.0.1:9/access_token',
      SYNCAROO_CLIENT_ID: 'sc', SYNCAROO_CLIENT_SECRET: 'body-after-auth-sc-secret', SYNCAROO_WEBHOOK_SECRET: 'body-after-auth-hook-secret',
      SYNCAROO_API_URL: 'http://127.0.0.1:9/api/v1',
    });
    const c = await ctx.newConnection({ provider: 'lockme', externalId: undefined });
    lockmeKeyPath = new URL(c.webhookUrl).pathname;
  });
  afterAll(async () => { await ctx?.close(); });

  /** Sends `body` in one piece with its content-length. */
  async function send(method: string, path: string, body: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await ctx.http()[method === 'GET' ? 'get' : 'post'](path)
      .set({ 'content-type': 'application/json', 'x-messageid': '1', ...headers }).send(body.toString('latin1'));
    return { status: res.status, contentType: String(res.headers['content-type']), body: res.body };
  }

  /**
   * Starts a chunked body and never finishes it: a server that waits for the body cannot answer, one that
   * decides first answers at once. Resolves with the answer, or status 0 when none came within 3 s.
   */
  function sendUnfinished(method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${ctx.baseUrl}${path}`, {
        method, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'x-messageid': '1', ...headers },
      });
      const timer = setTimeout(() => { req.destroy(); resolve({ status: 0, contentType: '', body: null }); }, 3000);
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { text += d; });
        res.on('end', () => {
          clearTimeout(timer);
          req.destroy();
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body: text ? JSON.parse(text) : null });
        });
      });
      req.on('error', (e) => { clearTimeout(timer); reject(e); });
      req.write(`{"never":"${'x'.repeat(64 * 1024)}`);
    });
  }

  const unauthenticated: Array<[string, string, string, Record<string, string>, number, string]> = [
    ['Stratech, wrong secret', 'POST', '/webhooks/stratech/not-the-secret', {}, 404, 'not-found'],
    ['Lockme POST, unknown key', 'POST', '/webhooks/lockme/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', {}, 404, 'not-found'],
    ['Lockme GET, unknown key', 'GET', '/webhooks/lockme/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', {}, 404, 'not-found'],
    ['admin, no token', 'POST', '/admin/connections', {}, 401, 'unauthorized'],
    ['admin, wrong token', 'POST', '/admin/connections', { authorization: 'Bearer wrong-token-wrong-token' }, 401, 'unauthorized'],
    ['admin, read token', 'POST', '/admin/connections', { authorization: `Bearer ${READ_TOKEN}` }, 403, 'forbidden'],
    ['read API, no token', 'GET', '/resources', {}, 401, 'unauthorized'],
  ];

  it.each(unauthenticated)('%s: answered without parsing an invalid body under the limit', async (_what, method, path, headers, status, code) => {
    const res = await send(method, path, UNDER, headers);
    expect([res.status, res.body?.type]).toEqual([status, `https://inventory-sync.dev/problems/${code}`]);
    expect(res.contentType).toMatch(/application\/problem\+json/);
  });

  it.each(unauthenticated)('%s: answered without reading a body over the limit', async (_what, method, path, headers, status) => {
    expect((await send(method, path, OVER, headers)).status).toBe(status);
  });

  it.each(unauthenticated)('%s: answered before the body has ended', async (_what, method, path, headers, status, code) => {
    const res = await sendUnfinished(method, path, headers);
    expect([res.status, res.body?.type]).toEqual([status, `https://inventory-sync.dev/problems/${code}`]);
  });

  it('an unknown route answers 404 without reading the body', async () => {
    expect((await sendUnfinished('POST', '/no/such/route')).status).toBe(404);
  });

  it('authenticated requests still get 400 for invalid JSON and 413 for a body over WEBHOOK_MAX_BYTES', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const cases: Array<[string, string, Record<string, string>]> = [
      ['POST', `/webhooks/stratech/${STRATECH_SECRET}`, {}],
      ['POST', lockmeKeyPath, {}],
      ['POST', '/admin/connections', admin],
      ['GET', '/resources', admin],
      ['POST', '/webhooks/syncaroo', {}], // authenticated by an HMAC over the body: read first
    ];
    for (const [method, path, headers] of cases) {
      const bad = await send(method, path, UNDER, headers);
      // The answer of before, unchanged: the parser's SyntaxError becomes a 400 naming it.
      expect([path, bad.status, bad.body?.type, bad.body?.detail]).toEqual([path, 400, 'https://inventory-sync.dev/problems/bad-request', expect.stringMatching(/^Unterminated string in JSON/)]);
      const big = await send(method, path, OVER, headers);
      expect([path, big.status, big.body?.type]).toEqual([path, 413, 'https://inventory-sync.dev/problems/payload-too-large']);
    }
    const [{ n }] = await ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events`);
    expect(n).toBe(0);
  });

  it('a valid body on an authenticated route is parsed as before', async () => {
    const created = await ctx.admin.post('/admin/connections').send({ provider: 'syncaroo', externalId: '90210', name: 'parsed' }).expect(201);
    expect(created.body).toMatchObject({ provider: 'syncaroo', externalId: '90210', name: 'parsed' });
    const hook = await ctx.http().post(`/webhooks/stratech/${STRATECH_SECRET}`)
      .send({ eventType: 'BodyAfterAuth.test', eventData: { organizationReference: 'org_b' } }).expect(202);
    const [row] = await ctx.db.query(`SELECT payload, convert_from(raw, 'UTF8') AS raw FROM inbound_events WHERE id = $1`, [hook.body.eventId]);
    expect(row.payload).toEqual({ eventType: 'BodyAfterAuth.test', eventData: { organizationReference: 'org_b' } });
    // Stratech keeps no raw copy (its path secret authenticates); Syncaroo's HMAC over the raw bytes is checked in its own specs.
    expect(row.raw).toBeNull();
  });
});
