// A fake Syncaroo API for the processing bench, run as its own process (fork) so that neither the bench's
// bare loop nor the server under test shares an event loop with it. On 127.0.0.1, an ephemeral port:
//   POST /api/v1/oauth/token   client credentials (form) → {access_token, token_type, expires_in}
//   GET  /api/v1/…             Bearer-checked (401 otherwise): a small resource JSON; its name changes on every
//                              call, so every fetch is new data for the upsert that follows
//   POST /api/v1/…             Bearer-checked: {"ok": true} (mapping callbacks; the bench sends none)
// Sends {ready, port} to the parent; answers {stats} to a 'stats' message.
import http from 'node:http';

// The client credentials it accepts come from its environment (FAKE_CLIENT_ID, FAKE_CLIENT_SECRET).
const FAKE_CLIENT_ID = process.env.FAKE_CLIENT_ID;
const FAKE_CLIENT_SECRET = process.env.FAKE_CLIENT_SECRET;

const tokens = new Set();
const stats = { tokens: 0, gets: 0, posts: 0, unauthorized: 0 };
const versions = new Map();

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = (status, json) => {
      const text = JSON.stringify(json);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method === 'POST' && path === '/api/v1/oauth/token') {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== FAKE_CLIENT_ID || form.get('client_secret') !== FAKE_CLIENT_SECRET) {
        return answer(401, { error: 'invalid_client' });
      }
      stats.tokens += 1;
      const token = `bench-token-${stats.tokens}`;
      tokens.add(token);
      return answer(200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
    }
    const auth = req.headers.authorization;
    if (typeof auth !== 'string' || !auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) {
      stats.unauthorized += 1;
      return answer(401, { error: 'invalid_token' });
    }
    if (req.method === 'GET' && path.startsWith('/api/v1/')) {
      stats.gets += 1;
      const id = path.slice(path.lastIndexOf('/') + 1);
      const v = (versions.get(path) ?? 0) + 1;
      versions.set(path, v);
      return answer(200, {
        id, name: `Room ${id} v${v}`, type: 'meeting-room', description: 'Bench room', capacity: 4 + (v % 8), units: 1, size: 20,
        bookable: true, availableFrom: '2026-01-01', rates: [{ period: 'hour', price: 25, currency: 'EUR' }],
      });
    }
    if (req.method === 'POST') {
      stats.posts += 1;
      return answer(200, { ok: true });
    }
    return answer(405, { error: 'method not allowed' });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ ready: true, port: server.address().port }));
process.on('message', (m) => {
  if (m === 'stats') process.send?.({ stats });
});
// Gone with the bench, also when it crashed.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
