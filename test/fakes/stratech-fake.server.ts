import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApp, TestContext } from '../support/test-app';
import { waitFor } from '../support/wait-for';

export interface StratechFakeCall {
  kind: 'token' | 'los' | 'other';
  method: string;
  path: string;
  /** The organization in the identity URL (token calls). */
  org?: string;
  authorization?: string;
  contentType?: string;
  /** Token calls: the form fields as received. */
  form?: Record<string, string>;
  status: number;
}

export interface StratechFakeFailure {
  kind: 'token' | 'los';
  status: number;
  retryAfter?: string;
  times: number;
}

/** How the fake sends a dataset's body. */
export interface FakeBodyOptions {
  /** Written in pieces of this many bytes (split anywhere, also inside a UTF-8 character)... */
  chunkBytes?: number;
  /** ...with this pause between pieces (ms; 0 = the next event loop turn). */
  chunkDelayMs?: number;
  /** No Content-Length: chunked transfer encoding. */
  chunked?: boolean;
  /** The connection is destroyed after this many bytes of the body (a Content-Length promises all of them). */
  cutAfterBytes?: number;
}

export interface FakeLosDataset {
  key: string;
  organizationReference: string;
  resortReference: string;
  channelReference: string;
  currency?: string | null;
  products: Array<{ productId: string; name?: string; losPriceAvailability: Array<{ arrivalDate: string; lengthOfStay: number; unitsAvailable: number; price?: number | null }> }>;
}

/**
 * Stratech identity server + API on 127.0.0.1. Identity: `POST /{org}/connect/token` (form-encoded;
 * authorization_code and refresh_token grants; checks client credentials, single-use codes, redirect_uri,
 * rotates refresh tokens). API: `GET /v1/channels/{channel}/los/{key}` with an organization Bearer token.
 */
export class StratechFake {
  readonly calls: StratechFakeCall[] = [];
  /** Rotate the refresh token on every refresh grant (Stratech may). */
  rotateRefreshTokens = true;
  expiresIn = 3600;
  private readonly codes = new Map<string, { org: string; redirectUri?: string; used: boolean }>();
  private readonly refreshTokens = new Map<string, string>();
  private readonly accessTokens = new Map<string, string>();
  private readonly datasets = new Map<string, { org: string; body: Buffer; options: FakeBodyOptions }>();
  /** LOS dataset answers being sent right now, and the most there ever were at once. */
  losInFlight = 0;
  maxLosInFlight = 0;
  private readonly failures: StratechFakeFailure[] = [];
  private server!: Server;
  baseUrl = '';

  constructor(readonly clientId = 'stratech-client', readonly clientSecret = 'stratech-client-secret') {}

  static async start(clientId?: string, clientSecret?: string): Promise<StratechFake> {
    const fake = new StratechFake(clientId, clientSecret);
    fake.server = createServer((req, res) => void fake.route(req, res));
    await new Promise<void>((ok) => fake.server.listen(0, '127.0.0.1', ok));
    fake.baseUrl = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** STRATECH_TOKEN_URL for the app. */
  get tokenUrl(): string {
    return `${this.baseUrl}/{organizationReference}/connect/token`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((ok) => this.server.close(() => ok()));
  }

  /** A code Stratech would hand out when a user of `org` connects us. */
  issueCode(org: string, redirectUri?: string): string {
    const code = `code-${randomBytes(6).toString('hex')}`;
    this.codes.set(code, { org, redirectUri, used: false });
    return code;
  }

  putDataset(dataset: FakeLosDataset, options: FakeBodyOptions = {}): void {
    this.putDatasetBody(dataset.organizationReference, dataset.channelReference, dataset.key, JSON.stringify(dataset), options);
  }

  /** Any body (e.g. not valid JSON) as the dataset `key` of `channel`. */
  putDatasetBody(org: string, channel: string, key: string, body: string | Buffer, options: FakeBodyOptions = {}): void {
    this.datasets.set(`${channel}|${key}`, { org, body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), options });
  }

  removeDataset(channel: string, key: string): void {
    this.datasets.delete(`${channel}|${key}`);
  }

  /** The next `times` calls of that kind answer `status` (with Retry-After when given). */
  failNext(kind: 'token' | 'los', status: number, options: { times?: number; retryAfter?: string } = {}): void {
    this.failures.push({ kind, status, retryAfter: options.retryAfter, times: options.times ?? 1 });
  }

  /** Every issued access token stops working (as if Stratech revoked or expired them early). */
  invalidateAccessTokens(): void {
    this.accessTokens.clear();
  }

  /** Every refresh token of `org` stops working (the organization revoked us at Stratech's side). */
  revokeRefreshTokens(org: string): void {
    for (const t of this.refreshTokensOf(org)) this.refreshTokens.delete(t);
  }

  /** The refresh tokens currently valid for `org`. */
  refreshTokensOf(org: string): string[] {
    return [...this.refreshTokens].filter(([, o]) => o === org).map(([t]) => t);
  }

  accessTokensOf(org: string): string[] {
    return [...this.accessTokens].filter(([, o]) => o === org).map(([t]) => t);
  }

  callsOf(kind: StratechFakeCall['kind'], org?: string): StratechFakeCall[] {
    return this.calls.filter((c) => c.kind === kind && (org === undefined || c.org === org));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.baseUrl);
    const token = /^\/([^/]+)\/connect\/token$/.exec(url.pathname);
    const los = /^\/v1\/channels\/([^/]+)\/los\/([^/]+)$/.exec(url.pathname);
    const call: StratechFakeCall = {
      kind: token ? 'token' : los ? 'los' : 'other',
      method: req.method ?? 'GET',
      path: url.pathname,
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      status: 0,
      ...(token ? { org: decodeURIComponent(token[1]) } : {}),
    };
    this.calls.push(call);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (call.kind !== 'other') {
      const failure = this.failures.find((f) => f.kind === call.kind && f.times > 0);
      if (failure) {
        failure.times -= 1;
        return send(failure.status, { error: 'injected failure' }, failure.retryAfter ? { 'retry-after': failure.retryAfter } : {});
      }
    }
    if (token && req.method === 'POST') {
      const org = decodeURIComponent(token[1]);
      if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) return send(415, { error: 'form encoding expected' });
      const form = Object.fromEntries(new URLSearchParams(raw));
      call.form = form;
      return this.token(org, form, send);
    }
    if (los && req.method === 'GET') {
      const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      const org = bearer ? this.accessTokens.get(bearer) : undefined;
      if (!org) return send(401, { error: 'invalid_token' });
      call.org = org;
      const dataset = this.datasets.get(`${decodeURIComponent(los[1])}|${decodeURIComponent(los[2])}`);
      if (!dataset || dataset.org !== org) return send(404, { error: 'not found' });
      call.status = 200;
      return this.sendBody(res, dataset.body, dataset.options);
    }
    send(404, { error: 'no such route' });
  }

  private async sendBody(res: ServerResponse, body: Buffer, o: FakeBodyOptions): Promise<void> {
    this.losInFlight += 1;
    this.maxLosInFlight = Math.max(this.maxLosInFlight, this.losInFlight);
    let counted = true;
    const done = () => {
      if (counted) this.losInFlight -= 1;
      counted = false;
    };
    res.once('close', done);
    res.writeHead(200, { 'content-type': 'application/json', ...(o.chunked ? {} : { 'content-length': String(body.length) }) });
    const end = o.cutAfterBytes ?? body.length;
    const step = o.chunkBytes ?? body.length;
    for (let i = 0; i < end && !res.destroyed; i += step) {
      const piece = body.subarray(i, Math.min(end, i + step));
      // Waits for the client to read (backpressure), as a real server's socket would.
      if (!res.write(piece)) {
        await new Promise<void>((ok) => {
          const go = () => {
            res.off('drain', go).off('close', go);
            ok();
          };
          res.on('drain', go).on('close', go);
        });
      }
      if (o.chunkBytes !== undefined) await new Promise((ok) => (o.chunkDelayMs ? setTimeout(ok, o.chunkDelayMs) : setImmediate(ok)));
    }
    if (o.cutAfterBytes !== undefined) res.socket?.destroy();
    else res.end();
  }

  private token(org: string, form: Record<string, string>, send: (status: number, body: unknown) => void): void {
    if (form.client_id !== this.clientId || form.client_secret !== this.clientSecret) return send(401, { error: 'invalid_client' });
    if (form.grant_type === 'authorization_code') {
      const entry = this.codes.get(form.code ?? '');
      if (!entry || entry.used || entry.org !== org) return send(400, { error: 'invalid_grant' });
      if (entry.redirectUri !== undefined && form.redirect_uri !== entry.redirectUri) return send(400, { error: 'invalid_grant', error_description: 'redirect_uri mismatch' });
      entry.used = true;
      return send(200, this.issue(org, true));
    }
    if (form.grant_type === 'refresh_token') {
      const owner = this.refreshTokens.get(form.refresh_token ?? '');
      if (owner !== org) return send(400, { error: 'invalid_grant' });
      if (this.rotateRefreshTokens) this.refreshTokens.delete(form.refresh_token);
      return send(200, this.issue(org, this.rotateRefreshTokens));
    }
    send(400, { error: 'unsupported_grant_type' });
  }

  private issue(org: string, withRefresh: boolean): Record<string, unknown> {
    const access = `at-${randomBytes(8).toString('hex')}`;
    this.accessTokens.set(access, org);
    const body: Record<string, unknown> = { access_token: access, expires_in: this.expiresIn, token_type: 'Bearer' };
    if (withRefresh) {
      const refresh = `rt-${randomBytes(8).toString('hex')}`;
      this.refreshTokens.set(refresh, org);
      body.refresh_token = refresh;
    }
    return body;
  }
}

// ---- helpers for the Stratech e2e specs ----

export interface EventRow {
  id: string;
  status: string;
  last_error: string | null;
  connection_id: string | null;
  attempts: number;
}

export interface LosRowView {
  product: string;
  channel: string;
  arrival_date: string;
  length_of_stay: number;
  units_available: number;
  price: number | null;
  currency: string | null;
  dataset_key: string | null;
}

/** Webhook bodies, event waits and DB reads shared by the Stratech specs. */
export class StratechKit {
  private n = 0;

  constructor(readonly ctx: TestContext, readonly fake: StratechFake, readonly secret: string) {}

  /** A fake Stratech and the app configured against it (`env`: more configuration, e.g. STRATECH_DATASET_MAX_BYTES). */
  static async start(secret: string, env: Record<string, string> = {}): Promise<StratechKit> {
    const fake = await StratechFake.start();
    const ctx = await startTestApp({
      STRATECH_API_URL: fake.baseUrl,
      STRATECH_TOKEN_URL: fake.tokenUrl,
      STRATECH_CLIENT_ID: fake.clientId,
      STRATECH_CLIENT_SECRET: fake.clientSecret,
      STRATECH_WEBHOOK_SECRET: secret,
      ...env,
    });
    return new StratechKit(ctx, fake, secret);
  }

  async close(): Promise<void> {
    await this.ctx.close();
    await this.fake.close();
  }

  post(body: unknown, secret = this.secret) {
    return this.ctx.http().post(`/webhooks/stratech/${encodeURIComponent(secret)}`).set('Content-Type', 'application/json').send(body as object);
  }

  /** Posts a valid body, expects 202, returns the event id. */
  async send(body: unknown): Promise<string> {
    const res = await this.post(body);
    if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.eventId;
  }

  async event(id: string): Promise<EventRow> {
    const [row] = await this.ctx.db.query(`SELECT id, status, last_error, connection_id, attempts FROM inbound_events WHERE id = $1`, [id]);
    return row;
  }

  /** Waits until the event reaches one of `statuses` (default: any final state or held). */
  async settle(id: string, statuses = ['done', 'ignored', 'held', 'dead'], timeoutMs = 15000): Promise<EventRow> {
    return waitFor(async () => {
      const row = await this.event(id);
      return row && statuses.includes(row.status) ? row : null;
    }, timeoutMs);
  }

  codeEvent(org: string, code: string, redirectUri?: string) {
    return { eventType: 'Authorization.code.created', eventData: { organizationReference: org, code, ...(redirectUri ? { redirectUri } : {}) } };
  }

  /** The full authorization flow; returns the active connection's id. */
  async authorize(org: string): Promise<string> {
    const redirectUri = 'https://example.stratechbooking.nl/login-client-callback';
    const code = this.fake.issueCode(org, redirectUri);
    const row = await this.settle(await this.send(this.codeEvent(org, code, redirectUri)));
    if (row.status !== 'done') throw new Error(`authorization ended ${row.status}: ${row.last_error}`);
    return row.connection_id!;
  }

  async map(connectionId: string, resort: string, locationId = `park-${++this.n}-${resort}`): Promise<string> {
    await this.ctx.admin.post(`/admin/connections/${connectionId}/locations`).send({ locationId, externalId: resort, timezone: 'Europe/Amsterdam' }).expect(201);
    return locationId;
  }

  losCreated(org: string, resort: string, channel: string, key: string) {
    return { eventType: 'PriceAvailability.los.created', eventData: { organizationReference: org, resortReference: resort, channelReference: channel, key } };
  }

  losUpdated(org: string, resort: string, channel: string, losKey: string, products: Array<{ productId: string; losPriceAvailability: Array<{ arrivalDate: string; lengthOfStay: number; unitsAvailable: number }> }>) {
    return { eventType: 'PriceAvailability.los.updated', eventData: { losKey, organizationReference: org, resortReference: resort, channelReference: channel, products } };
  }

  async rows(locationId: string, channel?: string): Promise<LosRowView[]> {
    return this.ctx.db.query(
      `SELECT r.external_id AS product, l.channel, l.arrival_date::text AS arrival_date, l.length_of_stay, l.units_available,
              l.price::float8 AS price, l.currency, l.dataset_key
         FROM los_rows l JOIN resources r ON r.id = l.resource_id
        WHERE l.location_id = $1 AND ($2::text IS NULL OR l.channel = $2)
        ORDER BY r.external_id, l.channel, l.arrival_date, l.length_of_stay`,
      [locationId, channel ?? null],
    );
  }

  async eventCount(): Promise<number> {
    const [{ n }] = await this.ctx.db.query(`SELECT count(*)::int AS n FROM inbound_events`);
    return n;
  }
}
