import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LockmeFakeCall {
  kind: 'token' | 'message-get' | 'message-ack' | 'rooms' | 'reservations' | 'other';
  method: string;
  path: string;
  authorization?: string;
  /** Token calls: the form fields as received. */
  form?: Record<string, string>;
  status: number;
}

export interface LockmeFakeFailure {
  kind: LockmeFakeCall['kind'];
  /** Only calls whose path matches (e.g. one message id). */
  path?: RegExp;
  status: number;
  retryAfter?: string;
  times: number;
  /** Also invalidate the access token the call presented (a token revoked mid-flow). */
  revokeToken?: boolean;
}

/**
 * Lockme on 127.0.0.1: OAuth token endpoint `POST /access_token` (form; authorization_code and refresh_token
 * grants, client credentials checked, single-use codes, redirect_uri checked, refresh tokens rotated), and the
 * API under `/v2.3`: `GET|POST /message/{id}`, `GET /rooms`, `GET /room/{id}/reservations/{date}`, all
 * requiring a valid, unexpired Bearer token (401 `{message}` otherwise). Records every call; fails on demand.
 */
export class LockmeFake {
  readonly calls: LockmeFakeCall[] = [];
  readonly messages = new Map<string, unknown>();
  rooms: unknown[] = [];
  /** `${roomid}/${date}` → reservations; unlisted days answer `[]`. */
  readonly reservations = new Map<string, unknown[]>();
  /** When false, the reservations listing answers 404 (as if Lockme had no such endpoint). */
  reservationsEndpoint = true;
  /** Rooms whose reservations listing answers 404. */
  readonly reservationsMissingFor = new Set<string>();
  rotateRefreshTokens = true;
  expiresIn = 3600;
  /** Delay before answering a token call (to overlap concurrent refreshes). */
  tokenDelayMs = 0;
  private readonly codes = new Map<string, { redirectUri: string; used: boolean }>();
  private readonly refreshTokens = new Set<string>();
  private readonly accessTokens = new Map<string, number>();
  private readonly failures: LockmeFakeFailure[] = [];
  private server!: Server;
  baseUrl = '';

  constructor(readonly clientId = 'lockme-client', readonly clientSecret = 'lockme-client-secret') {}

  static async start(): Promise<LockmeFake> {
    const fake = new LockmeFake();
    fake.server = createServer((req, res) => void fake.route(req, res));
    await new Promise<void>((ok) => fake.server.listen(0, '127.0.0.1', ok));
    fake.baseUrl = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** The app's environment pointing at this fake. */
  get env(): Record<string, string> {
    return {
      LOCKME_API_URL: `${this.baseUrl}/v2.3`,
      LOCKME_TOKEN_URL: `${this.baseUrl}/access_token`,
      LOCKME_AUTHORIZE_URL: `${this.baseUrl}/authorize`,
      LOCKME_CLIENT_ID: this.clientId,
      LOCKME_CLIENT_SECRET: this.clientSecret,
    };
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((ok) => this.server.close(() => ok()));
  }

  /** A token pair Lockme issued earlier (to paste as connection credentials). */
  grant(options: { accessValid?: boolean; expiresInSec?: number } = {}): { accessToken: string; refreshToken: string } {
    const accessToken = `at-${randomBytes(8).toString('hex')}`;
    const refreshToken = `rt-${randomBytes(8).toString('hex')}`;
    if (options.accessValid !== false) this.accessTokens.set(accessToken, Date.now() + (options.expiresInSec ?? this.expiresIn) * 1000);
    this.refreshTokens.add(refreshToken);
    return { accessToken, refreshToken };
  }

  /** A code Lockme would hand the browser after the user consented. */
  issueCode(redirectUri: string): string {
    const code = `code-${randomBytes(6).toString('hex')}`;
    this.codes.set(code, { redirectUri, used: false });
    return code;
  }

  isRefreshTokenValid(token: string): boolean {
    return this.refreshTokens.has(token);
  }

  revokeAccessToken(token: string): void {
    this.accessTokens.delete(token);
  }

  /** The next `times` matching calls answer `status`. */
  failNext(kind: LockmeFakeFailure['kind'], status: number, options: Partial<Omit<LockmeFakeFailure, 'kind' | 'status'>> = {}): void {
    this.failures.push({ kind, status, times: options.times ?? 1, path: options.path, retryAfter: options.retryAfter, revokeToken: options.revokeToken });
  }

  callsOf(kind: LockmeFakeCall['kind'], path?: string): LockmeFakeCall[] {
    return this.calls.filter((c) => c.kind === kind && (path === undefined || c.path.endsWith(path)));
  }

  /** Successful acknowledgements of one message. */
  acks(messageId: string): number {
    return this.callsOf('message-ack', `/message/${messageId}`).filter((c) => c.status === 200).length;
  }

  private classify(method: string, path: string): LockmeFakeCall['kind'] {
    if (path === '/access_token') return 'token';
    if (/^\/v2\.3\/message\/[^/]+$/.test(path)) return method === 'POST' ? 'message-ack' : 'message-get';
    if (path === '/v2.3/rooms') return 'rooms';
    if (/^\/v2\.3\/room\/[^/]+\/reservations\/[^/]+$/.test(path)) return 'reservations';
    return 'other';
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.baseUrl);
    const method = req.method ?? 'GET';
    const call: LockmeFakeCall = { kind: this.classify(method, url.pathname), method, path: url.pathname, authorization: req.headers.authorization, status: 0 };
    this.calls.push(call);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };

    if (call.kind === 'token') {
      if (method !== 'POST') return send(405, { message: 'POST only' });
      if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) return send(415, { message: 'form encoding expected' });
      call.form = Object.fromEntries(new URLSearchParams(raw));
      if (this.tokenDelayMs > 0) await new Promise((r) => setTimeout(r, this.tokenDelayMs));
    }
    const failure = this.failures.find((f) => f.kind === call.kind && f.times > 0 && (!f.path || f.path.test(url.pathname)));
    if (failure) {
      failure.times -= 1;
      if (failure.revokeToken) this.accessTokens.delete(/^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
      return send(failure.status, { message: 'injected failure' }, failure.retryAfter ? { 'retry-after': failure.retryAfter } : {});
    }
    if (call.kind === 'token') return this.token(call.form!, send);
    if (call.kind === 'other') return send(404, { message: 'no such route' });

    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const expires = bearer ? this.accessTokens.get(bearer) : undefined;
    if (expires === undefined || expires <= Date.now()) return send(401, { message: 'Invalid access token' });

    const id = decodeURIComponent(url.pathname.split('/').pop() ?? '');
    switch (call.kind) {
      case 'message-get':
        return this.messages.has(id) ? send(200, this.messages.get(id)) : send(404, { message: 'Message not found' });
      case 'message-ack':
        return this.messages.has(id) ? send(200, true) : send(404, { message: 'Message not found' });
      case 'rooms':
        return send(200, this.rooms);
      case 'reservations': {
        if (!this.reservationsEndpoint) return send(404, { message: 'Not found' });
        const [, , , roomId, , date] = url.pathname.split('/');
        if (this.reservationsMissingFor.has(roomId)) return send(404, { message: 'Not found' });
        return send(200, this.reservations.get(`${roomId}/${date}`) ?? []);
      }
    }
  }

  private token(form: Record<string, string>, send: (status: number, body: unknown) => void): void {
    if (form.client_id !== this.clientId || form.client_secret !== this.clientSecret) return send(401, { error: 'invalid_client' });
    if (form.grant_type === 'authorization_code') {
      const entry = this.codes.get(form.code ?? '');
      if (!entry || entry.used) return send(400, { error: 'invalid_grant' });
      if (form.redirect_uri !== entry.redirectUri) return send(400, { error: 'invalid_grant', error_description: 'redirect_uri mismatch' });
      entry.used = true;
      return send(200, this.issue(true));
    }
    if (form.grant_type === 'refresh_token') {
      if (!this.refreshTokens.has(form.refresh_token ?? '')) return send(400, { error: 'invalid_grant' });
      if (this.rotateRefreshTokens) this.refreshTokens.delete(form.refresh_token);
      return send(200, this.issue(this.rotateRefreshTokens));
    }
    send(400, { error: 'unsupported_grant_type' });
  }

  private issue(withRefresh: boolean): Record<string, unknown> {
    const access = `at-${randomBytes(8).toString('hex')}`;
    this.accessTokens.set(access, Date.now() + this.expiresIn * 1000);
    const body: Record<string, unknown> = { access_token: access, token_type: 'Bearer', expires_in: this.expiresIn };
    if (withRefresh) {
      const refresh = `rt-${randomBytes(8).toString('hex')}`;
      this.refreshTokens.add(refresh);
      body.refresh_token = refresh;
    }
    return body;
  }
}

// ---- helpers shared by the Lockme e2e specs ----

/** The example messages of the contract (fixtures/lockme-message-*.json), customer data included. */
export const LOCKME_PII = { name: 'Jan', surname: 'Kowalski', email: 'jan@example.com', phone: '+48 600 000 000', comment: 'Prosimy o ciszę' };

export function addMessage(reservationid: number, over: Record<string, unknown> = {}, roomid = 12) {
  return {
    action: 'add', roomid, reservationid,
    data: {
      roomid, date: '2026-12-05', hour: '18:30:00', name: LOCKME_PII.name, surname: LOCKME_PII.surname, email: LOCKME_PII.email,
      phone: LOCKME_PII.phone, people: 4, price: 180, comment: LOCKME_PII.comment, extid: '', status: 1, source: 'web',
      language: 'pl', invoice: 0, time: '2026-11-22 12:00:00', ...over,
    },
  };
}

export function editMessage(reservationid: number, over: Record<string, unknown> = {}, roomid = 12) {
  return {
    action: 'edit', roomid, reservationid,
    data: {
      roomid, date: '2026-12-06', hour: '10:00:00', people: 4, price: 180, status: 1, source: 'panel',
      from_date: '2026-12-05', from_hour: '18:30:00', surname: LOCKME_PII.surname, ...over,
    },
  };
}

export function deleteMessage(reservationid: number, roomid = 12) {
  return { action: 'delete', roomid, reservationid, data: { roomid, date: '2026-12-06', hour: '10:00:00' } };
}
