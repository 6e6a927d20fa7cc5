import { createHmac } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SyncarooFakeCall {
  method: string;
  /** pathname as received (not decoded) */
  path: string;
  /** the bearer token presented, if any */
  token: string | null;
  body: string;
  /** what the fake answered */
  status: number;
}

interface Failure {
  method?: string;
  path: string;
  status: number;
  headers: Record<string, string>;
  remaining: number;
}

/**
 * A Syncaroo API on 127.0.0.1: client-credentials token endpoint at `/api/v1/oauth/token`, Bearer-checked
 * GETs of whatever documents a test `set()`s (404 otherwise), POSTs recorded (mapping callbacks).
 * Tests can make calls fail (status, Retry-After, N times), hold calls behind a gate, and revoke tokens.
 */
export class SyncarooFake {
  readonly calls: SyncarooFakeCall[] = [];
  readonly clientId = 'fake-syncaroo-client';
  readonly clientSecret = 'fake-syncaroo-client-secret';
  /** `expires_in` of the next tokens issued, seconds. */
  tokenTtlSeconds = 3600;
  private readonly docs = new Map<string, unknown>();
  private readonly tokens = new Map<string, number>();
  private readonly failures: Failure[] = [];
  private readonly gates = new Map<string, { opened: Promise<void>; waiting: number }>();
  private readonly custom = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  private issued = 0;

  private constructor(private readonly server: Server, readonly baseUrl: string) {}

  static async start(): Promise<SyncarooFake> {
    let fake!: SyncarooFake;
    const server = createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new SyncarooFake(server, `http://127.0.0.1:${port}`);
    return fake;
  }

  /** What SYNCAROO_API_URL must be set to. */
  /** The app's Syncaroo configuration against this fake. */
  env(webhookSecret: string): Record<string, string> {
    return {
      SYNCAROO_API_URL: this.apiUrl,
      SYNCAROO_CLIENT_ID: this.clientId,
      SYNCAROO_CLIENT_SECRET: this.clientSecret,
      SYNCAROO_WEBHOOK_SECRET: webhookSecret,
    };
  }

  get apiUrl(): string {
    return `${this.baseUrl}/api/v1`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `path` is the pathname under the host, e.g. `/api/v1/555/locations/x/resources/y`. */
  set(path: string, doc: unknown): void {
    this.docs.set(path, doc);
  }

  remove(path: string): void {
    this.docs.delete(path);
    this.custom.delete(path);
  }

  /**
   * Calls to `path` (after the Bearer check) are answered by `answer` itself: huge or streamed bodies,
   * redirects... The call is recorded with status 0 (the fake does not know what `answer` writes).
   */
  respondWith(path: string, answer: (req: IncomingMessage, res: ServerResponse) => void): void {
    this.custom.set(path, answer);
  }

  /** The next `times` calls to `path` (optionally one method) answer `status`. */
  fail(path: string, status: number, times = 1, opts: { method?: string; headers?: Record<string, string> } = {}): void {
    this.failures.push({ path, status, remaining: times, method: opts.method, headers: opts.headers ?? {} });
  }

  /** Calls to `path` wait until the returned function is called. */
  gate(path: string): { release: () => void; waiting: () => number } {
    let release!: () => void;
    const opened = new Promise<void>((resolve) => (release = resolve));
    const gate = { opened, waiting: 0 };
    this.gates.set(path, gate);
    return {
      release: () => {
        this.gates.delete(path);
        release();
      },
      waiting: () => gate.waiting,
    };
  }

  /** Every token issued so far is rejected from now on (as after a key rotation on Syncaroo's side). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  callsTo(path: string, method?: string): SyncarooFakeCall[] {
    return this.calls.filter((c) => c.path === path && (!method || c.method === method));
  }

  tokenRequests(): SyncarooFakeCall[] {
    return this.callsTo('/api/v1/oauth/token', 'POST');
  }

  async close(): Promise<void> {
    for (const path of [...this.gates.keys()]) this.gates.delete(path);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    const auth = req.headers.authorization;
    const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : null;
    const answer = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      this.calls.push({ method, path, token, body, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(json === undefined ? '' : JSON.stringify(json));
    };

    if (path === '/api/v1/oauth/token' && method === 'POST') {
      const failure = this.takeFailure(method, path);
      if (failure) return answer(failure.status, { error: 'scripted failure' }, failure.headers);
      const form = new URLSearchParams(body);
      const contentType = String(req.headers['content-type'] ?? '');
      if (!contentType.startsWith('application/x-www-form-urlencoded') || form.get('grant_type') !== 'client_credentials') {
        return answer(400, { error: 'unsupported_grant_type' });
      }
      if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) {
        return answer(401, { error: 'invalid_client' });
      }
      this.issued += 1;
      const issued = `fake-token-${this.issued}`;
      this.tokens.set(issued, Date.now() + this.tokenTtlSeconds * 1000);
      return answer(200, { access_token: issued, token_type: 'Bearer', expires_in: this.tokenTtlSeconds });
    }

    const expiresAt = token ? this.tokens.get(token) : undefined;
    if (!expiresAt || expiresAt <= Date.now()) return answer(401, { error: 'invalid_token' });
    const failure = this.takeFailure(method, path);
    if (failure) return answer(failure.status, { error: 'scripted failure' }, failure.headers);
    const gate = this.gates.get(path);
    if (gate) {
      gate.waiting += 1;
      await gate.opened;
    }
    const custom = this.custom.get(path);
    if (custom) {
      this.calls.push({ method, path, token, body, status: 0 });
      return custom(req, res);
    }
    if (method === 'GET') {
      return this.docs.has(path) ? answer(200, this.docs.get(path)) : answer(404, { error: 'not found' });
    }
    if (method === 'POST') return answer(200, { ok: true });
    return answer(405, { error: 'method not allowed' });
  }

  private takeFailure(method: string, path: string): Failure | undefined {
    const failure = this.failures.find((f) => f.remaining > 0 && f.path === path && (!f.method || f.method === method));
    if (failure) failure.remaining -= 1;
    return failure;
  }
}

/** The body with `hash` appended, computed as CONTRACT.md section 4 says (independently of the server's code). */
export function signSyncaroo(body: Record<string, unknown>, secret: string): Record<string, unknown> {
  const { hash: _old, ...rest } = body;
  return { ...rest, hash: createHmac('sha256', secret).update(JSON.stringify(rest)).digest('hex') };
}

export interface WebhookSpec {
  connectionId: number;
  locationId: string;
  syncarooId: string;
  attributeType?: string;
  resourceType?: string;
  resourceId?: string;
  apiUrl: string;
  action?: string;
  actionCallback?: string;
}

/** A webhook with the members in the order of the seed's examples (the order matters for the hash). */
export function syncarooWebhook(s: WebhookSpec): Record<string, unknown> {
  return {
    connectionId: s.connectionId,
    webhookType: 'data',
    locationId: s.locationId,
    metaData: {
      syncarooId: s.syncarooId,
      resourceType: s.resourceType ?? 'meeting-room',
      resourceId: s.resourceId ?? '',
      attributeType: s.attributeType ?? 'resources',
      apiUrl: s.apiUrl,
    },
    ...(s.action !== undefined ? { action: s.action } : {}),
    ...(s.actionCallback !== undefined ? { actionCallback: s.actionCallback } : {}),
  };
}
