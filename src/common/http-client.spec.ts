import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { handlerContext } from '../ingestion/handler-context';
import { PermanentError, RetryableError } from '../ingestion/provider-handler';
import { httpRequest, providerMaxBytes, setProviderMaxBytes } from './http-client';

const ROOT = resolve(__dirname, '..', '..');
/** The cap every call gets by default (set once at start from PROVIDER_MAX_BYTES). */
const setCap = (bytes: number) => setProviderMaxBytes?.(bytes);
/** A call that should fail: if it resolves, Jest shows its status and size instead of megabytes of body. */
const outcome = (call: Promise<{ status: number; body: unknown }>) =>
  call.then((r) => ({ resolvedWithStatus: r.status, bodyChars: JSON.stringify(r.body)?.length }));

interface Served {
  /** bytes of body written so far */
  sent: number;
  /** the client closed the connection before the whole body was written */
  closedEarly: boolean;
  closed: Promise<void>;
}

/** A server on 127.0.0.1 whose answer each test scripts; `served` tracks the last answer's body. */
class TestServer {
  requests = 0;
  served: Served | null = null;
  private handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<TestServer> {
    let self!: TestServer;
    const server = createServer((req, res) => {
      self.requests += 1;
      self.handle(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    self = new TestServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  on(handle: (req: IncomingMessage, res: ServerResponse) => void): void {
    this.handle = handle;
  }

  /**
   * Streams `total` bytes of a JSON string document in 64 KiB chunks (waiting for drain), with or without
   * a Content-Length header, and notes whether the client hung up before the end.
   */
  streamJson(total: number, opts: { contentLength?: number | 'exact' } = {}): void {
    this.on((_req, res) => {
      const served: Served = { sent: 0, closedEarly: false, closed: Promise.resolve() };
      this.served = served;
      served.closed = new Promise((r) => res.once('close', () => {
        served.closedEarly = !res.writableFinished;
        r();
      }));
      const headers: Record<string, string | number> = { 'content-type': 'application/json' };
      if (opts.contentLength !== undefined) headers['content-length'] = opts.contentLength === 'exact' ? total : opts.contentLength;
      res.writeHead(200, headers);
      const filler = Buffer.alloc(64 * 1024, 'x');
      let left = total - 2;
      const pump = () => {
        if (served.sent === 0) {
          res.write('"');
          served.sent += 1;
        }
        while (left > 0 && !res.destroyed) {
          const chunk = left >= filler.length ? filler : filler.subarray(0, left);
          left -= chunk.length;
          served.sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) {
          served.sent += 1;
          res.end('"');
        }
      };
      pump();
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('httpRequest', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await TestServer.start();
  });
  afterAll(() => server.close());
  afterEach(() => {
    setCap(8 * 1024 * 1024);
    server.requests = 0;
    server.served = null;
  });

  it('reads an answer within the cap and parses its JSON (streamed, no Content-Length)', async () => {
    server.streamJson(200_000);
    setCap(256 * 1024);
    const res = await httpRequest<string>(`${server.url}/ok`);
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(200_000 - 2);
  });

  it('the default cap is PROVIDER_MAX_BYTES\'s default, 8 MiB; setProviderMaxBytes changes it', () => {
    expect(providerMaxBytes()).toBe(8 * 1024 * 1024);
    setProviderMaxBytes(1234);
    expect(providerMaxBytes()).toBe(1234);
    expect(() => setProviderMaxBytes(0)).toThrow();
  });

  it('refuses at once an answer whose Content-Length is over the cap: PermanentError naming the URL (no query) and the cap', async () => {
    setCap(1000);
    server.streamJson(4 * 1024 * 1024, { contentLength: 'exact' });
    const call = outcome(httpRequest(`${server.url}/big/declared?token=secret-token`));
    await expect(call).rejects.toThrow(PermanentError);
    await expect(call).rejects.toThrow(`GET ${server.url}/big/declared: answer larger than 1000 bytes (PROVIDER_MAX_BYTES)`);
    await call.catch((e: Error) => expect(e.message).not.toContain('secret-token'));
    await server.served!.closed;
    expect(server.served!.closedEarly).toBe(true);
  });

  it('aborts a streamed answer (no Content-Length) once the bytes read pass the cap; the server sees the connection closed early', async () => {
    const total = 16 * 1024 * 1024;
    setCap(256 * 1024);
    server.streamJson(total);
    const call = outcome(httpRequest(`${server.url}/big/streamed`));
    await expect(call).rejects.toThrow(PermanentError);
    await expect(call).rejects.toThrow(`GET ${server.url}/big/streamed: answer larger than 262144 bytes (PROVIDER_MAX_BYTES)`);
    await server.served!.closed;
    expect(server.served!.closedEarly).toBe(true);
    expect(server.served!.sent).toBeLessThan(total / 2);
  });

  it('a per-call maxBytes overrides the default and is named in the error', async () => {
    server.streamJson(300_000);
    await expect(outcome(httpRequest(`${server.url}/dataset`, { maxBytes: 100_000, maxBytesName: 'STRATECH_DATASET_MAX_BYTES' })))
      .rejects.toThrow(`GET ${server.url}/dataset: answer larger than 100000 bytes (STRATECH_DATASET_MAX_BYTES)`);
    setCap(1000);
    const res = await httpRequest<string>(`${server.url}/dataset`, { maxBytes: 400_000 });
    expect(res.body).toHaveLength(300_000 - 2);
  });

  it('a 3xx is a PermanentError naming the URL but not the Location, and the redirect is not followed', async () => {
    server.on((req, res) => {
      if (req.url?.startsWith('/moved')) {
        res.writeHead(302, { location: `${server.url}/elsewhere?access_token=leaked-token` });
        res.end('moved');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"followed":true}');
      }
    });
    const call = httpRequest(`${server.url}/moved?x=1`, { method: 'POST', body: { a: 1 } });
    await expect(call).rejects.toThrow(PermanentError);
    await expect(call).rejects.toThrow(`POST ${server.url}/moved: upstream redirected (302) to another location; redirects are not followed`);
    await call.catch((e: Error) => {
      expect(e.message).not.toContain('leaked-token');
      expect(e.message).not.toContain('elsewhere');
    });
    expect(server.requests).toBe(1);
  });

  it('a server that never answers: RetryableError "timed out" after timeoutMs', async () => {
    server.on(() => undefined);
    const started = Date.now();
    await expect(httpRequest(`${server.url}/silent`, { timeoutMs: 200 })).rejects.toThrow(RetryableError);
    await expect(httpRequest(`${server.url}/silent`, { timeoutMs: 200 })).rejects.toThrow(`GET ${server.url}/silent failed: timed out`);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a timeout also covers a body that stalls halfway', async () => {
    server.on((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":'); // and nothing more
    });
    await expect(httpRequest(`${server.url}/stall`, { timeoutMs: 200 })).rejects.toThrow(`GET ${server.url}/stall failed: timed out`);
  });

  it('the handler\'s signal aborts the call; its abort listener is removed once the call is over', async () => {
    server.on(() => undefined);
    const handler = new AbortController();
    const call = handlerContext.run({ eventId: 'e1', signal: handler.signal }, () => httpRequest(`${server.url}/slow`, { timeoutMs: 10_000 }));
    await new Promise((r) => setTimeout(r, 100));
    handler.abort();
    await expect(call).rejects.toThrow(`GET ${server.url}/slow failed: aborted (handler timeout)`);

    const alive = new AbortController();
    server.on((_req, res) => res.end('{}'));
    for (let i = 0; i < 3; i++) {
      await handlerContext.run({ eventId: 'e2', signal: alive.signal }, () => httpRequest(`${server.url}/quick`));
    }
    server.on(() => undefined);
    await handlerContext.run({ eventId: 'e2', signal: alive.signal }, () => httpRequest(`${server.url}/quick`, { timeoutMs: 50 })).catch(() => undefined);
    expect(getEventListeners(alive.signal, 'abort')).toHaveLength(0);
  });

  it('an already aborted handler signal stops the call before it is sent', async () => {
    server.on((_req, res) => res.end('{}'));
    const handler = new AbortController();
    handler.abort();
    await expect(handlerContext.run({ eventId: 'e3', signal: handler.signal }, () => httpRequest(`${server.url}/never-sent`)))
      .rejects.toThrow('aborted (handler timeout)');
  });

  // AbortSignal.any([AbortSignal.timeout(ms), handlerSignal]) never fires on Node 20 once a garbage collection
  // has run: the timeout signal is only weakly held. This needs `--expose-gc`, so it runs in a child node.
  it('the timeout fires even when garbage collections run while waiting (child node --expose-gc)', async () => {
    const child = spawn(process.execPath, ['--expose-gc', '-r', './test/support/swc-register.cjs', 'test/support/http-timeout-gc.child.ts'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    try {
      const line = await new Promise<string>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`no answer from the call within 10 s (it never timed out): ${out}`)), 10_000);
        const firstLine = () => out.split('\n').find((l) => l.startsWith('{'));
        child.stdout.on('data', () => {
          if (out.includes('\n') && firstLine()) {
            clearTimeout(timer);
            ok(firstLine()!);
          }
        });
        child.once('close', (code) => {
          clearTimeout(timer);
          if (firstLine()) ok(firstLine()!);
          else fail(new Error(`child exited ${code}: ${out}`));
        });
      });
      const result = JSON.parse(line);
      expect(result).toMatchObject({ outcome: 'rejected', name: 'RetryableError', handlerAborted: false });
      expect(result.message).toMatch(/\/never failed: timed out$/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    }
  }, 30_000);
});
