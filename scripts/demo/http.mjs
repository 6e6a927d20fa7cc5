// Small node:http helpers shared by the demo's fake providers (plain ESM, no dependencies).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

/**
 * Starts `handler(req, res, ctx)` on 127.0.0.1 (random free port unless `port` is given). `ctx` has the read
 * body (`raw`), the parsed URL, the Bearer token, `send(status, json, headers)` and `form()` (url-encoded body).
 * Every request is recorded in `calls` ({method, path, status}). Returns {baseUrl, port, calls, close()}.
 */
export async function startFake(name, handler, { port = 0 } = {}) {
  const calls = [];
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const auth = req.headers.authorization ?? '';
    const call = { method: req.method ?? 'GET', path: url.pathname, status: 0 };
    calls.push(call);
    const ctx = {
      raw,
      url,
      method: call.method,
      path: url.pathname,
      bearer: /^Bearer (\S+)$/.exec(auth)?.[1] ?? null,
      isForm: /^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? ''),
      form: () => Object.fromEntries(new URLSearchParams(raw)),
      send(status, body, headers = {}) {
        call.status = status;
        const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
        res.end(text);
      },
    };
    try {
      await handler(req, res, ctx);
    } catch (e) {
      if (!res.headersSent) ctx.send(500, { error: `${name} fake: ${e instanceof Error ? e.message : String(e)}` });
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  const actual = server.address().port;
  return {
    name,
    port: actual,
    baseUrl: `http://127.0.0.1:${actual}`,
    calls,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** An opaque token with a recognisable prefix. */
export const token = (prefix) => `${prefix}${randomBytes(12).toString('base64url')}`;
