// npm run demo [-- --exit] [-- --port N] [-- --keep] — the whole system on this machine, loaded with example data.
//
// Starts fake Syncaroo, Lockme and Stratech servers on 127.0.0.1 (random free ports; scripts/demo/*-fake.mjs), then
// the server as a child process on embedded PostgreSQL (DATABASE_URL unset), pointed at the fakes through its own
// configuration variables. It configures everything through the public admin API (connections, location mappings),
// sends the providers' webhooks exactly as they would (Syncaroo signed with its HMAC, Lockme's empty POST with
// X-MessageId to the connection's webhookUrl, Stratech to the secret path), waits until every event is processed,
// and prints the server and console URLs, the admin token and what the read API now serves. Then it keeps running
// until Ctrl-C (SIGINT/SIGTERM): the server is stopped with SIGTERM (which stops its PostgreSQL), then the fakes.
//
// Flags:
//   --exit       load, print, stop (exit code 0 only when everything loaded and the server stopped cleanly)
//   --port N     the server's HTTP port (default: a random free one)
//   --keep       use ./.demo-data and keep it (the next --keep run starts from it); default: a fresh temp dir,
//                deleted on exit
//   --source     run src/main.ts through test/support/swc-register.cjs instead of dist/ (no build needed, slower
//                start; what test/demo.e2e-spec.ts uses, since `npm test` does not build dist/)
// The last line before "Press Ctrl-C" is `DEMO_SUMMARY {json}`, for scripts.
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as data from './demo/data.mjs';
import { startLockmeFake } from './demo/lockme-fake.mjs';
import { startStratechFake } from './demo/stratech-fake.mjs';
import { signSyncaroo, startSyncarooFake } from './demo/syncaroo-fake.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SYNCAROO_WEBHOOK_SECRET = 'demo-syncaroo-webhook-secret';
const STRATECH_WEBHOOK_SECRET = 'demo-stratech-webhook-secret';
const READY_TIMEOUT_MS = 180_000;
const EVENT_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;

let opts;
try {
  opts = parseArgs({
    options: {
      exit: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      source: { type: 'boolean', default: false },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (e) {
  console.error(`${e.message}\nusage: node scripts/demo.mjs [--exit] [--port N] [--keep] [--source]`);
  process.exit(2);
}
if (opts.help) {
  console.log('usage: node scripts/demo.mjs [--exit] [--port N] [--keep] [--source]   (see the top of scripts/demo.mjs)');
  process.exit(0);
}
const wantedPort = opts.port === undefined ? 0 : Number(opts.port);
if (!Number.isInteger(wantedPort) || wantedPort < 0 || wantedPort > 65535) {
  console.error(`--port must be 0..65535, not ${JSON.stringify(opts.port)}`);
  process.exit(2);
}
const entry = opts.source
  ? ['-r', join(ROOT, 'test/support/swc-register.cjs'), join(ROOT, 'src/main.ts')]
  : [join(ROOT, 'dist/src/main.js')];
if (!existsSync(entry.at(-1))) {
  console.error(`missing ${entry.at(-1)}: run \`npm run build\` first (npm run demo does), or pass --source`);
  process.exit(2);
}

const t0 = performance.now();
const secs = (from, to = performance.now()) => ((to - from) / 1000).toFixed(1);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(...a);

// ---- state shared with shutdown ----
const fakes = [];
let child = null;
let childExit = null;
let dataDir = null;
let logFile = null;
let stopping = null;

function logTail(lines = 40) {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

/** Stops the server (SIGTERM: it drains and stops its embedded PostgreSQL), then the fakes; removes a temp data dir. */
function stop(code, why) {
  stopping ??= (async () => {
    if (why) log(why);
    let serverCode = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const force = setTimeout(() => {
        console.error(`the server did not stop within ${STOP_TIMEOUT_MS / 1000} s: SIGKILL`);
        child.kill('SIGKILL');
      }, STOP_TIMEOUT_MS);
      serverCode = await childExit;
      clearTimeout(force);
    } else if (child) {
      serverCode = await childExit;
    }
    await Promise.all(fakes.map((f) => f.close()));
    if (dataDir && !opts.keep) rmSync(dataDir, { recursive: true, force: true });
    if (child) log(`server stopped (exit code ${serverCode}), fake providers stopped${dataDir && !opts.keep ? ', temp data removed' : ''}`);
    process.exit(code === 0 && child && serverCode !== 0 ? 1 : code);
  })();
  return stopping;
}
process.on('SIGINT', () => void stop(0, '\nstopping…'));
process.on('SIGTERM', () => void stop(0, 'stopping…'));
// Last resort (an exception escaped): the server stops itself and its database on SIGTERM.
process.on('exit', () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
});

/** `--port N`: refused up front when something listens there (the server would die on EADDRINUSE after its database start). */
function portFree(port) {
  return new Promise((ok) => {
    const s = createServer();
    s.once('error', () => ok(false));
    s.listen(port, () => s.close(() => ok(true)));
  });
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// ---- HTTP against the server ----
let base = '';
let adminToken = '';

async function call(method, path, body, headers = {}) {
  const res = await fetch(path.startsWith('http') ? path : `${base}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}
const admin = (method, path, body) => call(method, path, body, { authorization: `Bearer ${adminToken}` });

async function expectStatus(what, promise, ...statuses) {
  const res = await promise;
  if (!statuses.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Every item of a `{items, nextCursor}` list. */
async function all(path) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await expectStatus(`GET ${path}`, admin('GET', `${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`), 200);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

// ---- webhooks, sent as the providers send them ----
const sent = [];

async function webhookAnswer(what, res) {
  if (res.status !== 202 && res.status !== 200) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  sent.push(res.body.eventId);
  return res.body.eventId;
}

/** Syncaroo: the body with its `hash` (HMAC-SHA256 over the body without it, key SYNCAROO_WEBHOOK_SECRET). */
const postSyncaroo = async (body) => webhookAnswer('Syncaroo webhook', await call('POST', '/webhooks/syncaroo', signSyncaroo(body, SYNCAROO_WEBHOOK_SECRET)));

/** Lockme: an empty POST to the connection's webhookUrl with the message id in X-MessageId. */
const postLockme = async (webhookUrl, messageId) =>
  webhookAnswer('Lockme webhook', await call('POST', webhookUrl, undefined, { 'X-MessageId': String(messageId), 'User-Agent': 'LockMe/1.0' }));

/** Stratech: JSON to the webhook URL that carries the operator's secret. */
const postStratech = async (body) => webhookAnswer('Stratech webhook', await call('POST', `/webhooks/stratech/${encodeURIComponent(STRATECH_WEBHOOK_SECRET)}`, body));

/** Waits until the event is processed (GET /admin/events/{id}); held or dead is an error here. */
async function settle(eventId) {
  const until = Date.now() + EVENT_TIMEOUT_MS;
  for (;;) {
    const ev = await expectStatus(`GET /admin/events/${eventId}`, admin('GET', `/admin/events/${eventId}`), 200);
    if (ev.status === 'done' || ev.status === 'ignored') return ev;
    if (ev.status === 'held' || ev.status === 'dead') throw new Error(`${ev.provider} event ${eventId} (${ev.eventType}) is ${ev.status}: ${ev.lastError}`);
    if (Date.now() > until) throw new Error(`${ev.provider} event ${eventId} (${ev.eventType}) not processed after ${EVENT_TIMEOUT_MS / 1000} s: ${ev.status} ${ev.lastError ?? ''}`);
    await sleep(100);
  }
}

/** POST /admin/connections; with --keep the connection may exist already (409): then it is looked up (and given new credentials). */
async function ensureConnection(spec) {
  const created = await admin('POST', '/admin/connections', spec);
  if (created.status === 201) return created.body;
  if (created.status !== 409) throw new Error(`POST /admin/connections (${spec.provider}): HTTP ${created.status} ${JSON.stringify(created.body)}`);
  const existing = (await all(`/admin/connections?provider=${spec.provider}`)).find((c) => c.externalId === spec.externalId);
  if (!existing) throw new Error(`POST /admin/connections (${spec.provider}) answered 409 but no such connection is listed`);
  const patch = { name: spec.name, ...(spec.credentials ? { credentials: spec.credentials } : {}), ...(existing.status === 'disabled' ? { status: 'active' } : {}) };
  return expectStatus(`PATCH /admin/connections/${existing.id}`, admin('PATCH', `/admin/connections/${existing.id}`, patch), 200);
}

const mapLocation = (connectionId, mapping) =>
  expectStatus(`POST /admin/connections/${connectionId}/locations (${mapping.locationId})`, admin('POST', `/admin/connections/${connectionId}/locations`, mapping), 201);

// ---- the three providers' stories ----

async function syncarooStory(fake) {
  const s = data.syncaroo;
  const connection = await ensureConnection({ provider: 'syncaroo', externalId: String(s.connectionId), name: s.connectionName });
  await mapLocation(connection.id, { locationId: s.locationId, externalId: s.syncarooLocation, name: s.locationName, timezone: s.timezone });
  for (const [path, doc] of data.syncarooDocs(fake.apiUrl)) fake.set(path, doc);

  // Resources added in Syncaroo: no resourceId yet; the server creates one and POSTs it to actionCallback.
  await Promise.all((await Promise.all(s.resources.map((r) => postSyncaroo(data.syncarooResourceWebhook(fake.apiUrl, r, { action: 'new' }))))).map(settle));
  const idOf = (syncarooId) => {
    const id = fake.mappedIds.get(syncarooId);
    if (!id) throw new Error(`the server did not call Syncaroo back with a resourceId for ${syncarooId}`);
    return id;
  };
  // Then what Syncaroo sends for mapped resources: an update (the boardroom was refurbished) and bookings.
  const u = s.update;
  const r = s.resources.find((x) => x.id === u.id);
  const updatedDoc = data.syncarooResourceDoc({ ...r, ...u });
  for (const [path] of data.syncarooDocs(fake.apiUrl)) if (path.endsWith(`/resources/${u.id}`)) fake.set(path, updatedDoc);
  const later = [await postSyncaroo(data.syncarooResourceWebhook(fake.apiUrl, r, { resourceId: idOf(r.id) }))];
  for (const b of s.bookings) later.push(await postSyncaroo(data.syncarooBookingWebhook(fake.apiUrl, b, idOf(b.resource))));
  await Promise.all(later.map(settle));
  return connection;
}

async function lockmeStory(fake) {
  const l = data.lockme;
  const credentials = fake.grant();
  const connection = await ensureConnection({ provider: 'lockme', externalId: l.externalId, name: l.connectionName, credentials });
  await mapLocation(connection.id, { locationId: l.locationId, name: l.locationName, timezone: l.timezone });
  // Lockme message ids grow per account; taken from the clock so a --keep run's messages are new ones.
  const first = Math.floor(Date.now() / 1000) * 10;
  const ids = [];
  for (const [i, message] of l.messages().entries()) {
    fake.publish(first + i, message);
    ids.push(await postLockme(connection.webhookUrl, first + i));
  }
  await Promise.all(ids.map(settle));
  const unread = l.messages().map((_, i) => String(first + i)).filter((id) => !fake.read.has(id));
  if (unread.length) throw new Error(`the server did not mark Lockme messages ${unread.join(', ')} read`);
  return connection;
}

async function stratechStory(fake) {
  const s = data.stratech;
  // The park's operator connects the platform in Stratech: the code arrives by webhook, the server exchanges it.
  const code = fake.issueCode(s.organizationReference, s.redirectUri);
  const authorized = await settle(await postStratech(data.stratechCodeCreated(code)));
  if (!authorized.connectionId) throw new Error('the Stratech authorization made no connection');
  await expectStatus('PATCH the Stratech connection', admin('PATCH', `/admin/connections/${authorized.connectionId}`, { name: 'De Veluwe parks (Stratech)' }), 200);
  await mapLocation(authorized.connectionId, { locationId: s.locationId, externalId: s.resortReference, name: s.locationName, timezone: s.timezone });
  const key = `los_${new Date().toISOString().slice(0, 10).replaceAll('-', '')}_${Date.now().toString(36)}`;
  fake.putDataset(data.stratechDataset(key));
  const created = await postStratech(data.stratechLosCreated(key));
  const updated = await postStratech(data.stratechLosUpdated(key));
  await Promise.all([settle(created), settle(updated)]);
  return { id: authorized.connectionId };
}

// ---- what the read API serves afterwards ----

const countBy = (items, key) => items.reduce((acc, x) => ((acc[key(x)] = (acc[key(x)] ?? 0) + 1), acc), {});

async function summary() {
  const resources = await all('/resources');
  const bookings = [];
  for (const r of resources) for (const b of await all(`/resources/${encodeURIComponent(r.id)}/bookings`)) bookings.push({ ...b, provider: r.provider });
  const los = await all(`/los?locationId=${encodeURIComponent(data.stratech.locationId)}`);
  const events = await all('/admin/events');
  const locations = await all('/locations');
  return {
    resources: {
      total: resources.length,
      active: resources.filter((r) => r.status === 'active').length,
      byProvider: countBy(resources, (r) => r.provider),
      byType: countBy(resources, (r) => r.type),
    },
    bookings: { total: bookings.length, byProvider: countBy(bookings, (b) => b.provider), byStatus: countBy(bookings, (b) => b.status) },
    los: {
      rows: los.length,
      resources: new Set(los.map((x) => x.resourceId)).size,
      arrivalDays: new Set(los.map((x) => x.arrivalDate)).size,
      lengthsOfStay: new Set(los.map((x) => x.lengthOfStay)).size,
      soldOut: los.filter((x) => x.unitsAvailable === 0).length,
    },
    locations: locations.map((l) => ({ id: l.id, name: l.name, provider: l.provider })),
    events: { total: events.length, byStatus: countBy(events, (e) => e.status) },
  };
}

// ---- main ----

try {
  if (wantedPort && !(await portFree(wantedPort))) throw new Error(`--port ${wantedPort}: that port is in use`);
  const [syncaroo, lockme, stratech] = await Promise.all([startSyncarooFake(), startLockmeFake(data.lockme.rooms), startStratechFake()]);
  fakes.push(syncaroo, lockme, stratech);

  if (opts.keep) {
    dataDir = join(ROOT, '.demo-data');
    mkdirSync(dataDir, { recursive: true, mode: 0o711 });
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'inventory-sync-demo-'));
  }
  // The embedded PostgreSQL runs as the `postgres` user when we are root: it must be able to enter DATA_DIR.
  chmodSync(dataDir, 0o711);
  logFile = join(dataDir, 'server.log');

  const port = wantedPort || (await freePort());
  base = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    PORT: String(port),
    DATA_DIR: dataDir,
    PUBLIC_URL: base,
    LOG_LEVEL: process.env.LOG_LEVEL || 'info',
    ...syncaroo.env(SYNCAROO_WEBHOOK_SECRET),
    ...lockme.env(),
    ...stratech.env(STRATECH_WEBHOOK_SECRET),
  };
  // DATABASE_URL, ADMIN_TOKEN, ENCRYPTION_KEY are left unset on purpose: embedded mode generates and keeps them.
  const out = openSync(logFile, 'a');
  const started = performance.now();
  // Its own process group: a Ctrl-C reaches only this script, which stops the server in order (server, then fakes).
  child = spawn(process.execPath, entry, { cwd: ROOT, env, stdio: ['ignore', out, out], detached: true });
  closeSync(out);
  childExit = new Promise((r) => child.once('exit', (code, signal) => r(code ?? signal)));
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`the server exited unexpectedly (${code ?? signal}); its log ends:\n${logTail()}`);
      void stop(1);
    }
  });

  for (;;) {
    if (stopping) await stopping;
    try {
      if ((await fetch(`${base}/health/ready`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (performance.now() - started > READY_TIMEOUT_MS) throw new Error(`the server was not ready within ${READY_TIMEOUT_MS / 1000} s`);
    await sleep(150);
  }
  const readyAt = performance.now();
  adminToken = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).adminToken;

  const [syncarooConn, lockmeConn, stratechConn] = await Promise.all([syncarooStory(syncaroo), lockmeStory(lockme), stratechStory(stratech)]);
  const loadedAt = performance.now();
  const seen = await summary();

  const s = seen;
  const fmt = (o) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ');
  log(`
inventory-sync demo: ${sent.length} provider webhooks processed (server ready in ${secs(started, readyAt)} s, loaded in ${secs(readyAt, loadedAt)} s)

  server       ${base}
  console      ${base}/console
  API docs     ${base}/docs
  admin token  ${adminToken}
  data         ${dataDir}${opts.keep ? ' (kept: --keep)' : ' (temporary, removed on exit)'}
  server log   ${logFile}
  fakes        Syncaroo ${syncaroo.apiUrl}  Lockme ${lockme.baseUrl}/v2.3  Stratech ${stratech.baseUrl}

  resources    ${s.resources.total} (${fmt(s.resources.byProvider)}; ${fmt(s.resources.byType)})
  bookings     ${s.bookings.total} (${fmt(s.bookings.byProvider)}; ${fmt(s.bookings.byStatus)})
  LOS rows     ${s.los.rows} (${s.los.resources} products × ${s.los.arrivalDays} arrival days × ${s.los.lengthsOfStay} lengths of stay; ${s.los.soldOut} sold out)
  events       ${s.events.total} (${fmt(s.events.byStatus)})

  try:
    H="Authorization: Bearer ${adminToken}"
    curl -s -H "$H" "${base}/resources?locationId=${data.syncaroo.locationId}"
    curl -s -H "$H" "${base}/los?locationId=${data.stratech.locationId}&lengthOfStay=7&minUnits=1&limit=5"
    curl -s -H "$H" "${base}/admin/events?limit=5"
`);
  log(`DEMO_SUMMARY ${JSON.stringify({
    serverUrl: base,
    consoleUrl: `${base}/console`,
    adminToken,
    dataDir,
    kept: opts.keep,
    logFile,
    fakes: { syncaroo: syncaroo.apiUrl, lockme: `${lockme.baseUrl}/v2.3`, stratech: stratech.baseUrl },
    connections: { syncaroo: syncarooConn.id, lockme: lockmeConn.id, stratech: stratechConn.id },
    webhooksSent: sent.length,
    readyMs: Math.round(readyAt - started),
    loadMs: Math.round(loadedAt - readyAt),
    totalMs: Math.round(performance.now() - t0),
    ...seen,
  })}`);
  if (opts.exit) await stop(0);
  else log('\nPress Ctrl-C to stop.');
} catch (e) {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  if (child) console.error(`the server log (${logFile}) ends:\n${logTail()}`);
  await stop(1);
}
