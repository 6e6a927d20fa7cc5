import { execFile } from 'node:child_process';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SyncarooPartnerClient } from './fakes/syncaroo-partner.client';
import { startTestApp, TestContext } from './support/test-app';

const CLIENT_ID = 'syncaroo-partner';
const CLIENT_SECRET = 'partner-secret-0123456789abcdef';
const REDIRECT = 'https://app.syncaroo.test/oauth/callback';

describe('Syncaroo tier 2: the platform as Syncaroo\'s authorization server (CONTRACT 9)', () => {
  let ctx: TestContext;
  let syncaroo: SyncarooPartnerClient;
  let accountA: string;
  let accountB: string;
  // Syncaroo's redirect target for the browser test: a real listener, since a browser follows the 302 for real.
  let landing: Server;
  let landingUri: string;

  beforeAll(async () => {
    landing = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Syncaroo</h1>'));
    await new Promise<void>((r) => landing.listen(0, '127.0.0.1', r));
    landingUri = `http://127.0.0.1:${(landing.address() as AddressInfo).port}/oauth/callback`;
    ctx = await startTestApp({ SYNCAROO_PARTNER_CLIENT_ID: CLIENT_ID, SYNCAROO_PARTNER_CLIENT_SECRET: CLIENT_SECRET, SYNCAROO_REDIRECT_URIS: `${REDIRECT}, ${landingUri}` });
    syncaroo = new SyncarooPartnerClient(ctx.baseUrl, CLIENT_ID, CLIENT_SECRET, REDIRECT);
    accountA = (await ctx.admin.post('/admin/accounts').send({ name: 'Acme coworking' }).expect(201)).body.id;
    accountB = (await ctx.admin.post('/admin/accounts').send({ name: 'Beta desks' }).expect(201)).body.id;
    await ctx.admin.post(`/admin/accounts/${accountA}/users`).send({ email: 'ops@acme.test', password: 'acme password 123' }).expect(201);
    await ctx.admin.post(`/admin/accounts/${accountB}/users`).send({ email: 'ops@beta.test', password: 'beta password 123' }).expect(201);
    await ctx.admin.put(`/admin/accounts/${accountA}/locations/11980`).send({ name: 'Amsterdam Zuid', timezone: 'Europe/Amsterdam' }).expect(201);
  });
  afterAll(async () => {
    await ctx.close();
    await new Promise((r) => landing.close(r));
  });

  it('serves the registration values (secret not echoed)', async () => {
    const res = await ctx.admin.get('/admin/syncaroo/registration').expect(200);
    expect(res.body).toEqual({
      siteUri: ctx.baseUrl, apiUri: `${ctx.baseUrl}/syncaroo/`, authUri: `${ctx.baseUrl}/oauth/syncaroo/authorize`,
      authTokenUri: `${ctx.baseUrl}/oauth/syncaroo/token`, webhookPath: 'update/', checkConnectionPath: 'check_connection/',
      yourClientId: CLIENT_ID, yourClientSecret: null,
    });
  });

  it('shows a consent page naming Syncaroo, with the form the contract describes and strict headers', async () => {
    const page = await syncaroo.openConsent(syncaroo.authorizeUrl({ scope: 'listings' }, true));
    expect(page.res.status).toBe(200);
    expect(page.res.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.html).toContain('Syncaroo');
    expect(page.html).toContain('<form method="post" action="/oauth/syncaroo/authorize">');
    expect(page.html).toMatch(/name="email"/);
    expect(page.html).toMatch(/name="password"/);
    expect(page.html).toContain('name="decision" value="approve"');
    expect(page.html).toContain('name="decision" value="deny"');
    expect(page.html).not.toMatch(/<script/i);
    expect(page.hidden).toMatchObject({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT, state: 'st-1', scope: 'listings', csrf: expect.any(String) });
    const csp = page.res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain('https://app.syncaroo.test');
    expect(csp).toContain(new URL(landingUri).origin);
  });

  it('runs the whole flow: approve, token, check_connection binds the connectionId, listings, refresh rotation', async () => {
    const { verifier, challenge } = SyncarooPartnerClient.pkce();
    const code = await syncaroo.approve('ops@acme.test', 'acme password 123', { code_challenge: challenge, code_challenge_method: 'S256' });
    const missingVerifier = await syncaroo.exchange(code);
    expect(missingVerifier).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    const code2 = await syncaroo.approve('ops@acme.test', 'acme password 123', { code_challenge: challenge, code_challenge_method: 'S256' });
    const tokens = await syncaroo.exchange(code2, { code_verifier: verifier });
    expect(tokens).toEqual({ status: 200, body: { access_token: expect.any(String), token_type: 'Bearer', expires_in: expect.any(Number), refresh_token: expect.any(String) } });
    expect(tokens.body.expires_in).toBeGreaterThan(3500);
    expect(tokens.body.expires_in).toBeLessThanOrEqual(3600);
    const stored = await ctx.db.query(`SELECT access_hash, refresh_hash FROM syncaroo_tokens`);
    expect(JSON.stringify(stored)).not.toContain(tokens.body.access_token);
    expect(JSON.stringify(stored)).not.toContain(tokens.body.refresh_token);

    const noId = await syncaroo.checkConnection(tokens.body.access_token);
    expect(noId).toEqual({ status: 200, body: { connected: true, connectionId: null, account: { id: accountA, name: 'Acme coworking' }, locations: [{ id: '11980', name: 'Amsterdam Zuid', timezone: 'Europe/Amsterdam' }] } });

    const bound = await syncaroo.checkConnection(tokens.body.access_token, 7001, 'POST');
    expect(bound).toMatchObject({ status: 200, body: { connected: true, connectionId: '7001', account: { id: accountA } } });
    const list = await ctx.admin.get('/admin/connections?provider=syncaroo').expect(200);
    expect(list.body.items.filter((c: any) => c.externalId === '7001')).toEqual([expect.objectContaining({ accountId: accountA, status: 'active' })]);

    const listings = await fetch(`${ctx.baseUrl}/syncaroo/locations`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
    expect(await listings.json()).toEqual({ items: [{ id: '11980', name: 'Amsterdam Zuid', timezone: 'Europe/Amsterdam' }] });

    const rotated = await syncaroo.token({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }, { basic: false, json: true });
    expect(rotated).toMatchObject({ status: 200, body: { access_token: expect.any(String), refresh_token: expect.any(String) } });
    expect(rotated.body.refresh_token).not.toBe(tokens.body.refresh_token);
    const old = await syncaroo.token({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token });
    expect(old).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await syncaroo.checkConnection(tokens.body.access_token)).status).toBe(401);
    expect((await syncaroo.checkConnection(rotated.body.access_token)).status).toBe(200);
  });

  it('a code used twice is invalid_grant and revokes the tokens of its first use', async () => {
    const code = await syncaroo.approve('ops@acme.test', 'acme password 123');
    const first = await syncaroo.exchange(code);
    expect(first.status).toBe(200);
    expect((await syncaroo.checkConnection(first.body.access_token)).status).toBe(200);
    const second = await syncaroo.exchange(code);
    expect(second).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await syncaroo.checkConnection(first.body.access_token)).toEqual({ status: 401, body: { connected: false } });
    expect((await syncaroo.token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token })).body.error).toBe('invalid_grant');
  });

  it('deny redirects with access_denied and the state; bad credentials show the page again', async () => {
    const page = await syncaroo.openConsent(syncaroo.authorizeUrl());
    const denied = await syncaroo.submit({ ...page.hidden, decision: 'deny' }, page.cookie);
    expect(denied.res.status).toBe(302);
    const to = new URL(denied.location!);
    expect(`${to.origin}${to.pathname}`).toBe(REDIRECT);
    expect(to.searchParams.get('error')).toBe('access_denied');
    expect(to.searchParams.get('state')).toBe('st-1');

    const wrong = await syncaroo.submit({ ...page.hidden, email: 'ops@acme.test', password: 'not the password', decision: 'approve' }, page.cookie);
    expect(wrong.res.status).toBe(200);
    expect(wrong.location).toBeNull();
    expect(wrong.html).toContain('Wrong e-mail or password');
    expect(wrong.html).not.toContain('not the password');

    const forged = await syncaroo.submit({ ...page.hidden, csrf: 'forged-value-forged-value-forged-value', email: 'ops@acme.test', password: 'acme password 123', decision: 'approve' }, page.cookie);
    expect(forged.res.status).toBe(403);
    expect(forged.location).toBeNull();
  });

  it('refuses an unknown client and an unregistered redirect URI on a page, other errors by redirect', async () => {
    const badClient = await fetch(syncaroo.authorizeUrl({ client_id: 'someone-else' }), { redirect: 'manual' });
    expect(badClient.status).toBe(400);
    expect(badClient.headers.get('location')).toBeNull();
    expect(badClient.headers.get('content-type')).toMatch(/text\/html/);
    const badRedirect = await fetch(syncaroo.authorizeUrl({ redirect_uri: 'https://evil.test/cb' }), { redirect: 'manual' });
    expect(badRedirect.status).toBe(400);
    expect(badRedirect.headers.get('location')).toBeNull();
    const badType = await fetch(syncaroo.authorizeUrl({ response_type: 'token' }), { redirect: 'manual' });
    expect(badType.status).toBe(302);
    const to = new URL(badType.headers.get('location')!);
    expect(to.searchParams.get('error')).toBe('unsupported_response_type');
    expect(to.searchParams.get('state')).toBe('st-1');
  });

  it('answers RFC 6749 errors at the token endpoint: invalid_client 401, unsupported_grant_type, invalid_request', async () => {
    expect(await syncaroo.token({ grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT }, { secret: 'wrong-secret' })).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(await syncaroo.token({ grant_type: 'password', username: 'a', password: 'b' })).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    expect(await syncaroo.token({ grant_type: 'authorization_code', redirect_uri: REDIRECT })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await syncaroo.token({ grant_type: 'authorization_code', code: 'never-issued', redirect_uri: REDIRECT })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('an expired access token and no token get 401 {connected:false}', async () => {
    const code = await syncaroo.approve('ops@acme.test', 'acme password 123');
    const t = await syncaroo.exchange(code);
    await ctx.db.query(`UPDATE syncaroo_tokens SET access_expires_at = now() - interval '1 second' WHERE access_expires_at > now()`);
    expect(await syncaroo.checkConnection(t.body.access_token)).toEqual({ status: 401, body: { connected: false } });
    expect(await syncaroo.checkConnection(null)).toEqual({ status: 401, body: { connected: false } });
  });

  it('binding a connectionId of another account is 409 and rebinds nothing', async () => {
    const a = await syncaroo.exchange(await syncaroo.approve('ops@acme.test', 'acme password 123'));
    expect((await syncaroo.checkConnection(a.body.access_token, 7100)).status).toBe(200);
    const b = await syncaroo.exchange(await syncaroo.approve('ops@beta.test', 'beta password 123'));
    expect(await syncaroo.checkConnection(b.body.access_token, 7100)).toMatchObject({ status: 409, body: { connected: false } });
    const [row] = await ctx.db.query(`SELECT account_id FROM connections WHERE provider = 'syncaroo' AND external_id = '7100'`);
    expect(row.account_id).toBe(accountA);
  });

  it('revoking a refresh token revokes its access tokens and the connection bound through the grant', async () => {
    const t = await syncaroo.exchange(await syncaroo.approve('ops@acme.test', 'acme password 123'));
    expect((await syncaroo.checkConnection(t.body.access_token, 7200)).status).toBe(200);
    expect((await syncaroo.revoke(t.body.refresh_token)).status).toBe(200);
    expect((await syncaroo.checkConnection(t.body.access_token)).status).toBe(401);
    const [row] = await ctx.db.query(`SELECT status FROM connections WHERE provider = 'syncaroo' AND external_id = '7200'`);
    expect(row.status).toBe('revoked');
    expect((await syncaroo.revoke('unknown-token')).status).toBe(200);
  });

  it('works in a real browser: the page signs in, Approve redirects to Syncaroo with a code the token endpoint takes (CSP allows exactly that)', async () => {
    const browserClient = new SyncarooPartnerClient(ctx.baseUrl, CLIENT_ID, CLIENT_SECRET, landingUri);
    const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, 'support', 'consent-browser.child.mjs'), JSON.stringify({
      url: browserClient.authorizeUrl(), email: 'ops@acme.test', password: 'acme password 123', redirectOrigin: new URL(landingUri).origin,
      ...(process.env.CONSENT_SCREENSHOT ? { screenshot: process.env.CONSENT_SCREENSHOT } : {}),
    })], { timeout: 60000 });
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(result).toMatchObject({ pageStatus: 200, title: 'Connect Syncaroo', heading: 'Connect Syncaroo' });
    expect(result.error).toBeUndefined();
    expect(result.console.filter((m: string) => /Content Security Policy/i.test(m))).toEqual([]);
    const back = new URL(result.finalUrl);
    expect(`${back.origin}${back.pathname}`).toBe(landingUri);
    expect(back.searchParams.get('state')).toBe('st-1');
    const tokens = await browserClient.exchange(back.searchParams.get('code')!);
    expect(tokens.status).toBe(200);
  });
});
