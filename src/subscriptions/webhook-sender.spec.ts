import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendWebhook } from './webhook-sender';

describe('sendWebhook', () => {
  let server: Server;
  let base: string;
  let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void;
  const seen: Array<{ headers: IncomingMessage['headers']; body: string; url: string }> = [];
  const lenient = { allowHttp: true, allowPrivate: true };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ headers: req.headers, body, url: req.url ?? '' });
        handler(req, res, body);
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  });
  beforeEach(() => {
    seen.length = 0;
    handler = (_req, res) => res.writeHead(204).end();
  });

  it('POSTs the exact body with the given headers and reports a 2xx', async () => {
    const r = await sendWebhook(`${base}/hook?k=1`, '{"a":1}', { 'webhook-id': 'msg_1' }, { policy: lenient, timeoutMs: 5000 });
    expect(r).toEqual({ status: 204, error: null });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ body: '{"a":1}', url: '/hook?k=1', headers: { 'webhook-id': 'msg_1', 'content-type': 'application/json' } });
  });

  it('reports a non-2xx with its Retry-After, without the query string', async () => {
    handler = (_req, res) => res.writeHead(503, { 'retry-after': '7' }).end('busy');
    const r = await sendWebhook(`${base}/hook?token=secret`, '{}', {}, { policy: lenient, timeoutMs: 5000 });
    expect(r).toEqual({ status: 503, error: expect.stringMatching(/answered 503/), retryAfterMs: 7000 });
    expect(r.error).not.toContain('secret');
  });

  it('does not follow a redirect', async () => {
    handler = (req, res) => (req.url === '/elsewhere' ? res.writeHead(200).end() : res.writeHead(302, { location: '/elsewhere' }).end());
    const r = await sendWebhook(`${base}/hook`, '{}', {}, { policy: lenient, timeoutMs: 5000 });
    expect(r).toMatchObject({ status: 302, error: expect.stringMatching(/redirects are not followed/) });
    expect(seen.map((s) => s.url)).toEqual(['/hook']);
  });

  it('gives up on a receiver that does not answer in time', async () => {
    handler = () => undefined;
    const r = await sendWebhook(`${base}/slow`, '{}', {}, { policy: lenient, timeoutMs: 200 });
    expect(r).toMatchObject({ status: null, error: expect.stringMatching(/no answer within/) });
  });

  it('stops when aborted (shutdown), as not an attempt', async () => {
    handler = () => undefined;
    const controller = new AbortController();
    const p = sendWebhook(`${base}/slow`, '{}', {}, { policy: lenient, timeoutMs: 10_000, signal: controller.signal });
    await new Promise<void>((ok) => { const t = setInterval(() => { if (seen.length > 0) { clearInterval(t); ok(); } }, 5); });
    controller.abort();
    expect(await p).toMatchObject({ status: null, interrupted: true });
  });

  it('refuses a loopback target when private targets are not allowed: a literal address and a name resolving to one', async () => {
    const policy = { allowHttp: true, allowPrivate: false };
    const literal = await sendWebhook(`${base}/hook`, '{}', {}, { policy, timeoutMs: 5000 });
    expect(literal).toEqual({ status: null, error: expect.stringMatching(/^refused: 127\.0\.0\.1 is a loopback address/) });
    const port = new URL(base).port;
    const named = await sendWebhook(`http://receiver.test:${port}/hook`, '{}', {}, {
      policy, timeoutMs: 5000, resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    expect(named).toEqual({ status: null, error: expect.stringMatching(/^refused: receiver\.test resolves to 127\.0\.0\.1, a loopback address/) });
    expect(seen).toHaveLength(0);
  });

  it('connects to the address its own lookup checked', async () => {
    const port = new URL(base).port;
    const r = await sendWebhook(`http://receiver.test:${port}/named`, '{}', {}, {
      policy: lenient, timeoutMs: 5000, resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    expect(r).toEqual({ status: 204, error: null });
    expect(seen.map((x) => [x.url, x.headers.host])).toEqual([['/named', `receiver.test:${port}`]]);
  });

  it('names a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((ok) => closed.close(ok));
    const r = await sendWebhook(`http://127.0.0.1:${port}/`, '{}', {}, { policy: lenient, timeoutMs: 5000 });
    expect(r).toMatchObject({ status: null, error: expect.stringMatching(/connection refused/) });
  });
});
