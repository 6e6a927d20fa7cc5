import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { freePort, startChildServer, stopChildServers } from './support/child-server';
import { ENCRYPTION_KEY } from './support/test-app';
import { createTestDatabase } from './support/test-database';
import { waitFor } from './support/wait-for';

/**
 * Database outages and parallel starts, against real child processes (CONTRACT 12): webhooks answer 503 with
 * Retry-After (never 500, never 2xx for an event not stored), readiness says 503, the process recovers by
 * itself, SIGTERM still exits 0, and no secret reaches a log line on the way.
 */
const SECRET = 'outage-stratech-webhook-secret-9f3k';
const ADMIN = 'outage-admin-token-7d2m4q8z';
const stratech = {
  STRATECH_CLIENT_ID: 'id', STRATECH_CLIENT_SECRET: 'outage-client-secret-x1', STRATECH_WEBHOOK_SECRET: SECRET,
  STRATECH_API_URL: 'http://127.0.0.1:9', STRATECH_TOKEN_URL: 'http://127.0.0.1:9/{organizationReference}/token',
};
const hook = (url: string, n: number) => fetch(`${url}/webhooks/stratech/${SECRET}`, {
  method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ eventType: 'Outage.test', eventData: { organizationReference: 'org_outage', n } }),
});

/** A PostgreSQL of the test's own on a fixed port, so it can be stopped and started again under a running app. */
async function ownPostgres(): Promise<{ url: string; start(): Promise<void>; stop(): Promise<void>; dispose(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'isync-outage-'));
  chmodSync(dir, 0o711); // PostgreSQL runs as its own user under root
  const port = await freePort();
  const proc = spawn(process.execPath, [join(__dirname, 'support', 'own-postgres.mjs'), join(dir, 'pg'), String(port), 'outage-pw'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const send = async (cmd: string) => {
    proc.stdin!.write(`${cmd}\n`);
    const answer = String((await lines.next()).value);
    if (answer !== `ok ${cmd}`) throw new Error(`own postgres ${cmd}: ${answer}`);
  };
  await send('init');
  return {
    url: `postgres://postgres:outage-pw@127.0.0.1:${port}/outage`,
    start: () => send('start'),
    stop: () => send('stop'),
    dispose: async () => {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.stdin!.write('exit\n');
      await gone;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('database outages', () => {
  afterEach(stopChildServers);

  it('with the database down: webhooks 503 + Retry-After, ready 503, live 200; back by itself when it returns; no secret logged', async () => {
    const pg = await ownPostgres();
    try {
      const app = await startChildServer({ DATABASE_URL: pg.url, ADMIN_TOKEN: ADMIN, ENCRYPTION_KEY, LOG_LEVEL: 'info', ...stratech });
      expect((await hook(app.url, 1)).status).toBe(202);
      await pg.stop();

      const down = await hook(app.url, 2);
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(down.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const body = await down.text();
      expect(body).not.toContain(SECRET);
      const admin = await fetch(`${app.url}/admin/events`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(admin.status).toBe(503);
      expect((await fetch(`${app.url}/health/ready`)).status).toBe(503);
      expect((await fetch(`${app.url}/health`)).status).toBe(503);
      expect((await fetch(`${app.url}/health/live`)).status).toBe(200);

      await pg.start();
      await waitFor(async () => (await fetch(`${app.url}/health/ready`)).status === 200, 30000, 200);
      const back = await hook(app.url, 3);
      expect(back.status).toBe(202);
      const { eventId } = (await back.json()) as { eventId: string };
      const sql = new Client({ connectionString: pg.url });
      await sql.connect();
      try {
        await waitFor(async () => (await sql.query(`SELECT status FROM inbound_events WHERE id = $1`, [eventId])).rows[0]?.status === 'ignored', 20000);
        // Exactly the two answered events are stored: nothing of the refused one.
        expect((await sql.query(`SELECT count(*)::int AS n FROM inbound_events`)).rows[0].n).toBe(2);
      } finally {
        await sql.end();
      }

      // SIGTERM during an outage still ends cleanly.
      await pg.stop();
      app.proc.kill('SIGTERM');
      expect(await app.exited).toBe(0);
      const log = app.output();
      expect(log).toMatch(/"level":50/);
      for (const secret of [SECRET, ADMIN, stratech.STRATECH_CLIENT_SECRET, 'outage-pw']) expect(log).not.toContain(secret);
    } finally {
      await pg.dispose();
    }
  });

  it('embedded mode: a crashed PostgreSQL is restarted by the process, which carries on', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'isync-embedded-crash-'));
    chmodSync(dataDir, 0o711);
    try {
      const app = await startChildServer({ DATA_DIR: dataDir, ADMIN_TOKEN: ADMIN, ENCRYPTION_KEY, ...stratech });
      expect((await hook(app.url, 1)).status).toBe(202);
      const pid = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGKILL');
      await waitFor(async () => {
        try {
          return Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]) !== pid;
        } catch {
          return false;
        }
      }, 30000, 200);
      await waitFor(async () => (await fetch(`${app.url}/health/ready`)).status === 200, 30000, 200);
      expect((await hook(app.url, 2)).status).toBe(202);
      app.proc.kill('SIGTERM');
      expect(await app.exited).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a process starting while another holds the migration lock waits for it before migrating', async () => {
    const db = await createTestDatabase();
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    try {
      await sql.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
      // Another process is migrating: it holds the lock.
      await sql.query(`SELECT pg_advisory_lock(hashtext('inventory-sync:migrations'))`);
      const starting = startChildServer({ DATABASE_URL: db.url, ADMIN_TOKEN: ADMIN, ENCRYPTION_KEY });
      starting.catch(() => undefined);
      // It connected and asked for the lock: nothing is migrated while the lock is held.
      await waitFor(async () => (await sql.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rows[0].n === 1, 30000, 100);
      expect((await sql.query(`SELECT to_regclass('typeorm_migrations') IS NULL AS none`)).rows[0].none).toBe(true);
      await sql.query(`SELECT pg_advisory_unlock(hashtext('inventory-sync:migrations'))`);
      const server = await starting;
      expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    } finally {
      await sql.end();
      await stopChildServers();
      await db.drop();
    }
  });

  it('three processes started at once on an empty database all come up (migrations under a lock)', async () => {
    const db = await createTestDatabase();
    try {
      const sql = new Client({ connectionString: db.url });
      await sql.connect();
      // A database without any of our tables: as a first deployment finds it.
      await sql.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
      await sql.end();
      const env = { DATABASE_URL: db.url, ADMIN_TOKEN: ADMIN, ENCRYPTION_KEY };
      const servers = await Promise.all([startChildServer(env), startChildServer(env), startChildServer(env)]);
      for (const s of servers) expect((await fetch(`${s.url}/health/ready`)).status).toBe(200);
      const created = await fetch(`${servers[2].url}/admin/connections`, {
        method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'syncaroo', externalId: '5150' }),
      });
      expect(created.status).toBe(201);
    } finally {
      await stopChildServers();
      await db.drop();
    }
  });
});
