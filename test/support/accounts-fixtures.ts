import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import type { TestContext } from './test-app';
import { ADMIN_TOKEN } from './test-app';

/**
 * Helpers for accounts.e2e-spec.ts and account-isolation.e2e-spec.ts (CONTRACT.md section 8).
 * Every request made through `client()` is recorded, so a spec can assert at the end that no answer ever
 * carried a password, a password hash or an API key (other than the answer that created that key).
 */

export type Json = Record<string, any>;

export const NON_ADMIN_SCOPES = ['inventory:read', 'connections:read', 'connections:write', 'events:read', 'events:write', 'changes:read'] as const;
export const KEY_FORMAT = /^isk_[A-Za-z0-9]{40}$/;
export const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type Auth = { bearer: string } | { cookie: string; csrf?: string } | null;

interface Recorded { method: string; path: string; status: number; text: string; allowedKey?: string }

/** Everything the server answered through client(); read by expectNoSecretsIn(). */
export class Recorder {
  readonly answers: Recorded[] = [];
  /** Secrets no answer may contain: passwords used, and the admin token (a login body carries it). */
  readonly passwords = new Set<string>([ADMIN_TOKEN]);
  readonly keys = new Set<string>();
}

export interface Client {
  get(path: string): request.Test;
  post(path: string): request.Test;
  put(path: string): request.Test;
  patch(path: string): request.Test;
  delete(path: string): request.Test;
}

export function client(ctx: TestContext, rec: Recorder, auth: Auth): Client {
  const server = ctx.app.getHttpServer();
  const make = (method: 'get' | 'post' | 'put' | 'patch' | 'delete') => (path: string) => {
    let t = request(server)[method](path);
    if (auth && 'bearer' in auth) t = t.set('Authorization', `Bearer ${auth.bearer}`);
    if (auth && 'cookie' in auth) {
      t = t.set('Cookie', auth.cookie);
      if (auth.csrf !== undefined) t = t.set('x-csrf-token', auth.csrf);
    }
    t.on('response', (res: request.Response) => {
      rec.answers.push({ method: method.toUpperCase(), path, status: res.status, text: `${JSON.stringify(res.headers)}\n${res.text ?? ''}` });
    });
    return t;
  };
  return { get: make('get'), post: make('post'), put: make('put'), patch: make('patch'), delete: make('delete') };
}

export const adminClient = (ctx: TestContext, rec: Recorder) => client(ctx, rec, { bearer: ADMIN_TOKEN });

let seq = 0;
/** A short unique suffix for names, e-mails and ids within one run. */
export function uniq(prefix = 'x'): string {
  seq += 1;
  return `${prefix}-${process.pid}-${seq}-${randomBytes(3).toString('hex')}`;
}

export function expectProblem(res: request.Response, status: number, field?: string): void {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status} ${res.text}`);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  if (field !== undefined) {
    expect(Array.isArray(res.body.errors)).toBe(true);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  }
}

/** Status must be one of `statuses` and the answer problem+json (for cases the contract leaves open between two). */
export function expectProblemOneOf(res: request.Response, statuses: number[]): void {
  if (!statuses.includes(res.status)) throw new Error(`expected one of ${statuses.join('/')}, got ${res.status} ${res.text}`);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.body.status).toBe(res.status);
}

export function expectStatus(res: request.Response, status: number): void {
  const req = (res as unknown as { req?: { method?: string; path?: string } }).req;
  if (res.status !== status) throw new Error(`${req?.method ?? ''} ${req?.path ?? ''}: expected ${status}, got ${res.status} ${res.text}`);
}

export async function newAccount(ctx: TestContext, rec: Recorder, body: Json = {}): Promise<Json> {
  const res = await adminClient(ctx, rec).post('/admin/accounts').send({ name: uniq('Account'), ...body });
  expectStatus(res, 201);
  return res.body;
}

export interface CreatedKey extends Json { id: string; key: string }

export async function newKey(ctx: TestContext, rec: Recorder, body: { scopes: string[]; accountId?: string; expiresAt?: string; name?: string }): Promise<CreatedKey> {
  const res = await adminClient(ctx, rec).post('/admin/api-keys').send({ name: uniq('key'), ...body });
  expectStatus(res, 201);
  markKeyCreation(rec, res.body.key);
  return res.body;
}

/** Registers a key as secret; only the POST /admin/api-keys answer that holds it may contain it. */
export function markKeyCreation(rec: Recorder, key: string): void {
  rec.keys.add(key);
  for (const a of rec.answers) if (a.method === 'POST' && a.path === '/admin/api-keys' && a.text.includes(key)) a.allowedKey = key;
}

export async function newUser(ctx: TestContext, rec: Recorder, accountId: string, email = `${uniq('user')}@example.test`, password = `pw-${randomBytes(9).toString('hex')}`): Promise<Json & { password: string }> {
  rec.passwords.add(password);
  const res = await adminClient(ctx, rec).post(`/admin/accounts/${accountId}/users`).send({ email, password });
  expectStatus(res, 201);
  return { ...res.body, password };
}

export function setCookies(res: request.Response): string[] {
  return ([] as string[]).concat((res.headers['set-cookie'] as unknown as string[] | string | undefined) ?? []);
}

/** The `isid=...` Set-Cookie line, or undefined. */
export function sessionSetCookie(res: request.Response): string | undefined {
  return setCookies(res).find((c) => c.startsWith('isid='));
}

export interface Session { cookie: string; csrf: string; user: Json }

/** POST /auth/login, then GET /auth/session for the CSRF token. */
export async function login(ctx: TestContext, rec: Recorder, body: Json): Promise<Session> {
  if (typeof body.password === 'string') rec.passwords.add(body.password);
  const res = await client(ctx, rec, null).post('/auth/login').send(body);
  expectStatus(res, 200);
  const line = sessionSetCookie(res);
  if (!line) throw new Error(`login: no isid cookie in ${JSON.stringify(res.headers['set-cookie'])}`);
  const cookie = line.split(';')[0];
  const session = await client(ctx, rec, { cookie }).get('/auth/session');
  expectStatus(session, 200);
  return { cookie, csrf: session.body.csrfToken, user: res.body.user };
}

export const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** No recorded answer carries a password, an argon2 hash, a key hash or a key (except the key's creation answer). */
export async function expectNoSecretsIn(ctx: TestContext, rec: Recorder): Promise<void> {
  expect(rec.answers.length).toBeGreaterThan(0);
  const hashes = (await ctx.db.query(`SELECT password_hash AS h FROM account_users UNION ALL SELECT key_hash FROM api_keys`)).map((r: { h: string }) => r.h);
  const offenders: string[] = [];
  for (const a of rec.answers) {
    const where = `${a.method} ${a.path} (${a.status})`;
    if (/\$argon2/i.test(a.text)) offenders.push(`${where}: an argon2 hash`);
    if (/password_?hash|passwordHash|key_?hash|keyHash/i.test(a.text)) offenders.push(`${where}: a hash field`);
    for (const p of rec.passwords) if (a.text.includes(p)) offenders.push(`${where}: a password`);
    for (const h of hashes) if (h && a.text.includes(h)) offenders.push(`${where}: a stored hash`);
    for (const k of rec.keys) if (k !== a.allowedKey && a.text.includes(k)) offenders.push(`${where}: the key ${k.slice(0, 12)}…`);
  }
  expect(offenders).toEqual([]);
}
