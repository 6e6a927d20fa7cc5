// Read section helpers: the read data set, the 100 accounts it is split into, account-scoped API keys, an
// autocannon run that keeps each response's exact time, the key-verification cost and the revocation delay.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import autocannon from 'autocannon';

export const ACCOUNTS = 100;
const CONNECTION_ID = '00000000-0000-4000-8000-000000000001';
/** Account n (0 … 99) has a fixed id, so a location's account is a formula: L{n} → account n % 100. */
export const accountUuid = (n) => `00000000-0000-4000-a000-${String(n).padStart(12, '0')}`;

/** 100k resources, 1M bookings, 1M LOS rows (÷ scale) over 1000 locations, the locations given to 100 accounts. */
export async function seedReadData(pgc, scale) {
  // The bulk rows skip the change-feed triggers (replica role): the bench reads them, nobody follows their feed.
  await pgc.query(`SET session_replication_role = replica`);
  await pgc.query(`INSERT INTO connections (id, provider, external_id, status) VALUES ('${CONNECTION_ID}', 'syncaroo', '1', 'active') ON CONFLICT DO NOTHING`);
  await pgc.query(`INSERT INTO locations (id, name, provider, connection_id) SELECT 'L' || g, 'Location ' || g, 'syncaroo', '${CONNECTION_ID}' FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING`);
  await pgc.query(`INSERT INTO resources (id, location_id, connection_id, type, name, capacity, status, provider, external_id, attributes, updated_at)
    SELECT 'R' || g, 'L' || (g % 1000 + 1), '${CONNECTION_ID}', (ARRAY['meeting-room','hot-desk','office'])[g % 3 + 1], 'Room ' || g, g % 20, 'active', 'syncaroo', 'x' || g, '{}', now() - (g || ' seconds')::interval
    FROM generate_series(1, $1::int) g ON CONFLICT DO NOTHING`, [100000 / scale]);
  await pgc.query(`INSERT INTO bookings (resource_id, connection_id, provider, external_id, starts_at, ends_at, status)
    SELECT 'R' || (g % $2::int + 1), '${CONNECTION_ID}', 'syncaroo', 'b' || g, timestamptz '2026-01-01' + (g % 8760 || ' hours')::interval, timestamptz '2026-01-01' + (g % 8760 + 1 || ' hours')::interval, 'confirmed'
    FROM generate_series(1, $1::int) g ON CONFLICT DO NOTHING`, [1000000 / scale, 100000 / scale]);
  // LOS cells g = 14 k + s are stored as day rows k (stays 1 … 14): resource g / 5000 + 1, arrival k % 365.
  await pgc.query(`INSERT INTO los_days (resource_id, channel, arrival_date, location_id, connection_id, units, prices, currency, dataset_key)
    SELECT 'R' || (14 * k / 5000 + 1), 'ch1', date '2026-01-01' + (k % 365), 'L' || ((14 * k / 5000 + 1) % 1000 + 1), '${CONNECTION_ID}',
           ARRAY(SELECT (14 * k + s) % 7 FROM generate_series(0, 13) s ORDER BY s), ARRAY(SELECT 100 + (14 * k + s) % 50 FROM generate_series(0, 13) s ORDER BY s), 'EUR', 'k'
    FROM generate_series(0, $1::int / 14 - 1) k ON CONFLICT DO NOTHING`, [1000000 / scale]);
  await pgc.query(`SET session_replication_role = DEFAULT`);
  // The accounts: 10 locations each. The one connection maps locations of every account, so it stays account-less.
  await pgc.query(`INSERT INTO accounts (id, name, external_id)
    SELECT ('00000000-0000-4000-a000-' || lpad(g::text, 12, '0'))::uuid, 'Bench account ' || g, 'bench-' || g FROM generate_series(0, ${ACCOUNTS - 1}) g
    ON CONFLICT DO NOTHING`);
  await pgc.query(`UPDATE locations SET account_id = ('00000000-0000-4000-a000-' || lpad((substr(id, 2)::int % ${ACCOUNTS})::text, 12, '0'))::uuid
    WHERE id ~ '^L[0-9]+$' AND connection_id = '${CONNECTION_ID}'`);
  // VACUUM as well as ANALYZE: otherwise autovacuum's first pass over the freshly inserted tables (and the locations
  // UPDATE) falls into whichever rows are measuring at the time.
  await pgc.query('VACUUM (ANALYZE)');
}

/** The account owning a location or a resource's location, from the data (not from the formula). */
export async function ownerOf(pgc, { location, resource }) {
  const { rows } = resource !== undefined
    ? await pgc.query(`SELECT l.account_id FROM resources r JOIN locations l ON l.id = r.location_id WHERE r.id = $1`, [resource])
    : await pgc.query(`SELECT account_id FROM locations WHERE id = $1`, [location]);
  if (!rows[0]?.account_id) throw new Error(`no account owns ${resource ?? location}`);
  return rows[0].account_id;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function generateKey() {
  let body = '';
  while (body.length < 40) for (const b of randomBytes(64)) if (b < 248 && body.length < 40) body += ALPHABET[b % 62];
  return `isk_${body}`;
}

/**
 * An API key through POST /admin/api-keys; should that route not answer 201 with a key, a row written by SQL as the
 * service stores one (sha256 hex of the whole key), so the bench still runs — `via` says which, and the report shows it.
 */
export async function createKey(url, adminToken, pgc, { name, accountId = null, scopes = ['inventory:read'] }) {
  let status, detail = '';
  try {
    const res = await fetch(`${url}/admin/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, scopes, ...(accountId ? { accountId } : {}) }),
    });
    status = res.status;
    const body = await res.json().catch(() => ({}));
    if (status === 201 && /^isk_[A-Za-z0-9]{32,}$/.test(body.key ?? '') && body.accountId === accountId) return { key: body.key, id: body.id, via: 'http' };
    detail = JSON.stringify(body).slice(0, 200);
  } catch (e) {
    status = e.message;
  }
  const key = generateKey();
  const { rows } = await pgc.query(
    `INSERT INTO api_keys (name, account_id, scopes, prefix, key_hash) VALUES ($1, $2, $3::varchar[], $4, $5) RETURNING id`,
    [name, accountId, scopes, key.slice(0, 12), createHash('sha256').update(key).digest('hex')]);
  return { key, id: rows[0].id, via: `sql (POST /admin/api-keys answered ${status} ${detail})` };
}

/**
 * autocannon, plus every 2xx response's time in ms as measured (autocannon's own histogram keeps whole milliseconds,
 * too coarse for a 0.2 ms difference) and the status codes of the others.
 */
export function cannonTimed(opts) {
  const times = [];
  const statuses = {};
  return new Promise((resolve, reject) => {
    const inst = autocannon(opts, (err, res) => (err ? reject(err) : resolve({ res, times, statuses })));
    inst.on('response', (_client, statusCode, _bytes, ms) => {
      if (statusCode >= 200 && statusCode < 300) times.push(ms);
      else statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    });
  });
}

const mean = (xs) => xs.reduce((a, x) => a + x, 0) / xs.length;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN; };
const quantile = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN; };

/**
 * Key verification cost: one cheap route, one connection (no queueing: a request's time is its own cost), the
 * credentials alternating round by round (order rotated), so drift hits all alike. Answers per credential the mean of
 * every request, and per key the difference to ADMIN_TOKEN: over all requests and as the median of the rounds' differences.
 */
export async function keyVerificationCost(url, path, creds, { rounds, seconds, log }) {
  const per = Object.fromEntries(creds.map((c) => [c.name, { name: c.name, times: [], requests: 0, non2xx: 0, statuses: {}, roundMeans: [] }]));
  for (const c of creds) await cannonTimed({ url: `${url}${path}`, headers: { authorization: `Bearer ${c.token}` }, connections: 1, duration: 1 });
  for (let round = 0; round < rounds; round++) {
    const order = creds.map((_, i) => creds[(i + round) % creds.length]);
    for (const c of order) {
      log(`key verification cost, round ${round + 1}/${rounds}: ${c.name}`);
      const { res, times, statuses } = await cannonTimed({ url: `${url}${path}`, headers: { authorization: `Bearer ${c.token}` }, connections: 1, duration: seconds });
      const p = per[c.name];
      p.times.push(...times);
      p.requests += res.requests.total;
      p.non2xx += res.non2xx + res.errors;
      for (const [k, v] of Object.entries(statuses)) p.statuses[k] = (p.statuses[k] ?? 0) + v;
      p.roundMeans.push(mean(times));
      p.seconds = (p.seconds ?? 0) + res.duration;
    }
  }
  const base = per[creds[0].name];
  return creds.map((c) => {
    const p = per[c.name];
    return {
      name: c.name, requests: p.requests, rps: p.requests / p.seconds, non2xx: p.non2xx, statuses: p.statuses,
      mean: mean(p.times), p50: quantile(p.times, 0.5), p99: quantile(p.times, 0.99),
      diff: mean(p.times) - mean(base.times),
      diffRounds: median(p.roundMeans.map((m, i) => m - base.roundMeans[i])),
    };
  });
}

/**
 * Revocation: a key revoked in this process (DELETE /admin/api-keys/{id}) and one revoked by another process (its
 * row deleted, as that process's DELETE does, so only the 5 s cache stands between): seconds until the key gets 401.
 */
export async function revocationDelay(url, adminToken, pgc, { accountId, path, log }) {
  const get = async (key) => (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } })).status;
  const until401 = async (key, t0) => {
    for (;;) {
      const s = await get(key);
      if (s === 401) return (Date.now() - t0) / 1000;
      if (Date.now() - t0 > 30_000) return Infinity;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const out = {};
  for (const how of ['http', 'sql']) {
    const k = await createKey(url, adminToken, pgc, { name: `bench revoke ${how}`, accountId });
    const before = await get(k.key);
    // A burst of uses first, so the key sits in the verifier's cache when it is revoked.
    for (let i = 0; i < 20; i++) await get(k.key);
    log(`revocation (${how})`);
    const t0 = Date.now();
    let deleted;
    if (how === 'http') deleted = (await fetch(`${url}/admin/api-keys/${k.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${adminToken}` } })).status;
    else deleted = (await pgc.query('DELETE FROM api_keys WHERE id = $1', [k.id])).rowCount === 1 ? 'row deleted' : 'no row';
    out[how] = { before, deleted, seconds: await until401(k.key, t0), via: k.via };
  }
  return out;
}

// ---- CPU accounting: this machine may be shared (other test runs), which no latency figure shows by itself ----
const HZ = 100; // USER_HZ, the unit of /proc/stat and /proc/<pid>/stat times on Linux

function procTable() {
  const table = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime + stime, plus cutime + cstime: a pool connection's backend that ends meanwhile is counted in the postmaster's.
      table.set(Number(d), { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
    } catch {} // gone meanwhile
  }
  return table;
}

/**
 * CPU ticks so far: of the app process, of the PostgreSQL processes under this bench, of everything under this bench
 * (itself with autocannon, the app, PostgreSQL), and of the whole machine.
 */
export function cpuSnapshot(appPid) {
  const table = procTable();
  const mine = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, p] of table) if (!mine.has(pid) && mine.has(p.ppid)) { mine.add(pid); grew = true; }
  }
  let app = 0, pg = 0, ours = 0;
  for (const pid of mine) {
    const p = table.get(pid);
    if (!p) continue;
    ours += p.ticks;
    if (pid === appPid) app += p.ticks;
    else if (p.comm === 'postgres') pg += p.ticks;
  }
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0); // user nice system irq softirq steal
  return { app, pg, ours, busy, at: process.hrtime.bigint() };
}

/** Per request: app and PostgreSQL CPU ms; others: CPU outside this bench meanwhile, % of all cores. */
export function cpuDelta(a, b, requests) {
  const seconds = Number(b.at - a.at) / 1e9;
  return {
    appMs: ((b.app - a.app) * 1000) / HZ / requests,
    pgMs: ((b.pg - a.pg) * 1000) / HZ / requests,
    othersPct: Math.max(0, (100 * (b.busy - a.busy - (b.ours - a.ours))) / HZ / seconds / os.cpus().length),
  };
}
