// Change feed section of npm run bench (issue 13): commit → visible in GET /changes (long-poll) and the SSE stream
// at a steady rate, beside a bare LISTEN client on the triggers' own NOTIFY; feed read rate beside bare keyset pages
// of the same table; subscription delivery to a loopback receiver beside a bare loop POSTing the same batches.
import http from 'node:http';
import pg from 'pg';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const sorted = (xs) => [...xs].sort((a, b) => a - b);

async function getJson(url, token) {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Follows GET /changes?wait=… from `cursor`, calling onItem(item, receivedAt) until stop(). */
function longPoller(url, token, cursor, onItem) {
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const page = await getJson(`${url}/changes?cursor=${cursor}&limit=1000&types=resource&wait=2`, token);
      const at = performance.now();
      for (const item of page.items) onItem(item, at);
      cursor = page.nextCursor;
    }
  })();
  return async () => { stopped = true; await done; };
}

/** An SSE client on GET /changes/stream from `cursor`. */
function streamer(url, token, cursor, onItem) {
  let req;
  const opened = new Promise((resolve, reject) => {
    req = http.get(`${url}/changes/stream?cursor=${cursor}&types=resource`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream ${res.statusCode}`));
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk) => {
        buf += chunk;
        const at = performance.now();
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data) onItem(JSON.parse(data.slice(6)), at);
        }
      });
      res.on('error', () => undefined);
      resolve();
    });
    req.on('error', reject);
  });
  return { opened, stop: () => req.destroy() };
}

export async function benchChangeFeed({ url, token, databaseUrl, seconds, rate, readChanges, deliverChanges }) {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const out = {};
  await db.query(`INSERT INTO connections (id, provider, external_id, status) VALUES ('00000000-0000-4000-8000-0000000000cf', 'syncaroo', 'cf-bench', 'active') ON CONFLICT DO NOTHING`);
  await db.query(`INSERT INTO locations (id, name) VALUES ('cf-bench', 'Change feed bench') ON CONFLICT DO NOTHING`);

  // ---- 1. commit → visible, at `rate` changes/s ----
  const head = (await getJson(`${url}/changes?cursor=latest`, token)).nextCursor;
  const committed = new Map();
  const lat = { poll: [], sse: [], listen: [] };
  const seen = { poll: 0, sse: 0 };
  const got = { poll: new Set(), sse: new Set() };
  const onItem = (kind) => (item, at) => {
    if (!item.entityId.startsWith('cf-lat-')) return;
    got[kind].add(item.entityId);
    seen[kind] = got[kind].size;
    // An item can arrive before the writer's COMMIT has returned to it: latency 0 then (it was visible at once).
    const t = committed.get(item.entityId);
    lat[kind].push(t === undefined ? 0 : Math.max(0, at - t));
  };
  const stopPoll = longPoller(url, token, head, onItem('poll'));
  const sse = streamer(url, token, head, onItem('sse'));
  await sse.opened;
  // Four writer connections, so the rate does not depend on one round trip at a time.
  const writers = [];
  for (let i = 0; i < 4; i++) { const c = new pg.Client({ connectionString: databaseUrl }); await c.connect(); writers.push(c); }
  await sleep(500);
  const total = Math.round(seconds * rate);
  const paced = async (write) => {
    const inflight = new Set();
    const start = performance.now();
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const p = write(writers[i % writers.length], i).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= writers.length * 4) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    return total / ((performance.now() - start) / 1000);
  };
  const sentRate = await paced(async (c, i) => {
    const id = `cf-lat-${i}`;
    await c.query(
      `INSERT INTO resources (id, location_id, connection_id, type, name, status, provider, external_id, attributes, source_hash)
       VALUES ($1, 'cf-bench', '00000000-0000-4000-8000-0000000000cf', 'meeting-room', $1, 'active', 'syncaroo', $1, '{}', 'h')`, [id]);
    committed.set(id, performance.now());
  });
  for (let i = 0; i < 100 && (seen.poll < total || seen.sse < total); i++) await sleep(100);
  await stopPoll();
  sse.stop();
  // Baseline at the same rate: a bare scratch-table INSERT + NOTIFY of its id in one transaction, to a LISTEN client.
  await db.query(`CREATE TABLE IF NOT EXISTS cf_bare (id text PRIMARY KEY)`);
  const listener = new pg.Client({ connectionString: databaseUrl });
  await listener.connect();
  const bareCommitted = new Map();
  listener.on('notification', (n) => {
    const t = bareCommitted.get(n.payload);
    lat.listen.push(t === undefined ? 0 : Math.max(0, performance.now() - t));
  });
  await listener.query('LISTEN cf_bare');
  await paced(async (c, i) => {
    const id = `b${i}`;
    await c.query(`WITH w AS (INSERT INTO cf_bare VALUES ($1) RETURNING id) SELECT pg_notify('cf_bare', id) FROM w`, [id]);
    bareCommitted.set(id, performance.now());
  });
  for (let i = 0; i < 50 && lat.listen.length < total; i++) await sleep(100);
  await listener.end();
  for (const c of writers) await c.end();
  out.latency = { total, sentRate, seenPoll: seen.poll, seenSse: seen.sse, poll: sorted(lat.poll), sse: sorted(lat.sse), listen: sorted(lat.listen) };

  // ---- 2. feed read rate ----
  const before = (await getJson(`${url}/changes?cursor=latest`, token)).nextCursor;
  await db.query(
    `INSERT INTO changes (type, op, location_id, resource_id, entity_id, dedupe_key)
     SELECT 'resource', 'upsert', 'cf-bench', 'cf-read-' || g, 'cf-read-' || g, 'cf-read|' || g FROM generate_series(1, $1::int) g`, [readChanges]);
  await db.query('VACUUM ANALYZE changes');
  const readRounds = [];
  for (let round = 1; round <= 2; round++) {
    let cursor = before, n = 0;
    const t = performance.now();
    for (;;) {
      const page = await getJson(`${url}/changes?cursor=${cursor}&limit=1000`, token);
      n += page.items.length;
      cursor = page.nextCursor;
      if (page.items.length === 0) break;
    }
    const apiS = (performance.now() - t) / 1000;
    // Bare: keyset pages of the same rows straight from PostgreSQL, the same 1000 a page.
    let last = [0, 0], m = 0;
    const tb = performance.now();
    for (;;) {
      const { rows } = await db.query(
        `SELECT xid::text, seq::text, type, op, location_id, resource_id, entity_id, channel, arrival_from, arrival_to, changed_at
           FROM changes WHERE (xid, seq) > ($1::bigint, $2::bigint) ORDER BY xid, seq LIMIT 1000`, last);
      if (rows.length === 0) break;
      m += rows.length;
      last = [rows.at(-1).xid, rows.at(-1).seq];
    }
    const bareS = (performance.now() - tb) / 1000;
    readRounds.push({ round, n, apiRate: n / apiS, m, bareRate: m / bareS });
  }
  out.read = readRounds;

  // ---- 3. subscription delivery to a loopback receiver ----
  let received = 0;
  let receivedBatches = 0;
  const receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        received += Array.isArray(body.changes) ? body.changes.length : 0;
        receivedBatches++;
      } catch {}
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const target = `http://127.0.0.1:${receiver.address().port}/hook`;
  const created = await fetch(`${url}/admin/subscriptions`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ url: target, types: ['booking'] }),
  });
  if (created.status !== 201) {
    out.delivery = { skipped: `POST /admin/subscriptions answered ${created.status}` };
  } else {
    await sleep(500);
    received = 0;
    const t = performance.now();
    await db.query(
      `INSERT INTO changes (type, op, location_id, resource_id, entity_id, dedupe_key)
       SELECT 'booking', 'upsert', 'cf-bench', 'cf-r', 'cf-deliver-' || g, 'cf-deliver|' || g FROM generate_series(1, $1::int) g`, [deliverChanges]);
    for (let i = 0; i < 1200 && received < deliverChanges; i++) await sleep(50);
    const s = (performance.now() - t) / 1000;
    const batches = receivedBatches;
    const delivered = received;
    // Bare: the same number of 100-change batches POSTed one after another from here.
    const sample = JSON.stringify({ type: 'inventory.changes', subscriptionId: 'x', cursor: 'x', changes: Array.from({ length: 100 }, (_, i) => ({ id: String(i), type: 'booking', op: 'upsert', locationId: 'cf-bench', resourceId: 'cf-r', entityId: `b${i}`, changedAt: new Date().toISOString(), data: null })) });
    const tb = performance.now();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < Math.ceil(deliverChanges / 100); i++) {
      await new Promise((resolve, reject) => {
        const req = http.request(target, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => { res.resume(); res.on('end', resolve); });
        req.on('error', reject);
        req.end(sample);
      });
    }
    agent.destroy();
    const bareS = (performance.now() - tb) / 1000;
    out.delivery = { changes: deliverChanges, received: delivered, batches, seconds: s, rate: delivered / s, bareRate: deliverChanges / bareS };
  }
  receiver.close();
  await db.end();
  return out;
}

export function reportChangeFeed(r, fmt) {
  const l = r.latency;
  console.log(`\nChange feed: commit → visible, ${l.total} resource inserts (one per transaction) at ${Math.round(l.sentRate)}/s; each item's time from its COMMIT returning to the`);
  console.log('reader holding it (4 writer connections and the readers in the bench process). Baseline, same rate after: a bare INSERT + NOTIFY of its id per transaction to a LISTEN client.');
  console.log('| reader | items | p50 ms | p99 ms | max ms |');
  console.log('|---|---|---|---|---|');
  const row = (name, xs, n) => console.log(`| ${name} | ${n} | ${fmt(pct(xs, 50), 1)} | ${fmt(pct(xs, 99), 1)} | ${fmt(xs.at(-1), 1)} |`);
  row('GET /changes?wait=2 (long-poll)', l.poll, l.seenPoll);
  row('GET /changes/stream (SSE)', l.sse, l.seenSse);
  row('bare INSERT + NOTIFY → LISTEN', l.listen, l.listen.length);
  console.log(`target: p99 ≤ 100 ms at 500 changes/s (poll ${fmt(pct(l.poll, 99), 1)} ms, SSE ${fmt(pct(l.sse, 99), 1)} ms); every item seen: poll ${l.seenPoll}/${l.total}, SSE ${l.seenSse}/${l.total}`);
  console.log('\nFeed read: all changes from one cursor, pages of 1000 (GET /changes with ADMIN_TOKEN) vs bare keyset pages of the same rows by pg:');
  console.log('| round | changes | GET /changes changes/s | bare pg rows/s | ratio |');
  console.log('|---|---|---|---|---|');
  for (const x of r.read) console.log(`| ${x.round} | ${x.n} | ${Math.round(x.apiRate)} | ${Math.round(x.bareRate)} | ${fmt(x.apiRate / x.bareRate)} |`);
  console.log('target: ≥ 10,000 changes/s');
  const d = r.delivery;
  if (d.skipped) console.log(`\nSubscription delivery: skipped (${d.skipped})`);
  else {
    console.log(`\nSubscription delivery: ${d.changes} changes committed at once, to a loopback receiver answering 204: ${d.received} received in ${d.batches} deliveries,`);
    console.log(`${fmt(d.seconds)} s = ${Math.round(d.rate)} changes/s; bare loop POSTing as many 100-change batches one at a time: ${Math.round(d.bareRate)} changes/s (target ≥ 2,000/s)`);
  }
}
