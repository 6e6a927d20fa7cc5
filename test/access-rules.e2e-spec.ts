import { startTestApp, TestContext } from './support/test-app';

/** Routes that take no credential of ours: provider webhooks (their own authentication), ops, OAuth callback, login. */
const PUBLIC = new Set([
  'GET /health', 'GET /health/live', 'GET /health/ready', 'GET /metrics',
  'POST /webhooks/syncaroo', 'POST /syncaroo/update', 'POST /webhooks/stratech/{secret}', 'POST /webhooks/lockme/{webhookKey}', 'GET /webhooks/lockme/{webhookKey}',
  'GET /connect/lockme/callback', 'POST /auth/login',
]);
const SESSION_ONLY = new Set(['GET /auth/session', 'POST /auth/logout']);

describe('access rules: one guard, every route declares who may call it', () => {
  let ctx: TestContext;
  beforeAll(async () => { ctx = await startTestApp(); });
  afterAll(async () => { await ctx.close(); });

  it('documents a scope and both security schemes on every non-public operation, and the public ones answer without a credential', async () => {
    const doc = (await ctx.http().get('/docs-json').expect(200)).body;
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearer', 'session']);
    const seen: string[] = [];
    for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const name = `${method.toUpperCase()} ${path}`;
        seen.push(name);
        if (PUBLIC.has(name)) {
          expect({ name, scope: op['x-required-scope'] }).toEqual({ name, scope: undefined });
        } else if (SESSION_ONLY.has(name)) {
          expect({ name, security: op.security }).toEqual({ name, security: [{ session: [] }] });
        } else {
          expect({ name, scope: op['x-required-scope'] }).toEqual({ name, scope: expect.stringMatching(/^(inventory:read|connections:read|connections:write|events:read|events:write|changes:read|admin)$/) });
          expect({ name, security: op.security }).toEqual({ name, security: expect.arrayContaining([{ bearer: [] }, { session: [] }]) });
        }
      }
    }
    for (const name of [...PUBLIC, ...SESSION_ONLY]) expect(seen).toContain(name);
  });

  it('answers 401 problem+json on every non-public operation without a credential, before reading a body', async () => {
    const doc = (await ctx.http().get('/docs-json').expect(200)).body;
    const uuid = '00000000-0000-4000-8000-000000000000';
    for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const method of Object.keys(ops)) {
        const name = `${method.toUpperCase()} ${path}`;
        if (PUBLIC.has(name)) continue;
        const url = path.replace(/\{[^}]+\}/g, uuid);
        const res = await (ctx.http() as any)[method](url).send({});
        expect({ name, status: res.status, type: res.headers['content-type'] }).toEqual({ name, status: 401, type: expect.stringMatching(/application\/problem\+json/) });
      }
    }
  });

  it('answers 400 problem+json for a NUL character in any DTO field and writes nothing (PostgreSQL text cannot hold one)', async () => {
    const before = await ctx.db.query('SELECT count(*)::int AS n FROM accounts');
    const cases: Array<[string, string, Record<string, unknown>, boolean]> = [
      ['post', '/admin/accounts', { name: 'Acme\u0000' }, true],
      ['post', '/admin/api-keys', { name: 'k\u0000', scopes: ['inventory:read'] }, true],
      ['post', '/admin/connections', { provider: 'stratech', externalId: 'org', name: 'x\u0000y' }, true],
      ['post', '/auth/login', { email: 'a\u0000@b.test', password: 'whatever password' }, false],
    ];
    for (const [method, path, body, admin] of cases) {
      const req = (ctx.http() as any)[method](path).send(body);
      const res = await (admin ? req.set('Authorization', 'Bearer test-admin-token-0123456789') : req);
      expect({ path, status: res.status, type: res.headers['content-type'], errors: res.body.errors }).toEqual({
        path, status: 400, type: expect.stringMatching(/application\/problem\+json/), errors: [expect.objectContaining({ message: 'must not contain NUL characters' })] });
    }
    expect(await ctx.db.query('SELECT count(*)::int AS n FROM accounts')).toEqual(before);
  });

  it('answers 400 for a forged (created_at, id) cursor on every admin list, never a SQL error', async () => {
    const forged = Buffer.from(JSON.stringify(['not-a-time', '00000000-0000-4000-8000-000000000000'])).toString('base64url');
    for (const path of ['/admin/connections', '/admin/accounts', '/admin/api-keys']) {
      const res = await ctx.http().get(`${path}?cursor=${forged}`).set('Authorization', 'Bearer test-admin-token-0123456789');
      expect({ path, status: res.status, type: res.headers['content-type'] }).toEqual({ path, status: 400, type: expect.stringMatching(/application\/problem\+json/) });
    }
  });
});
