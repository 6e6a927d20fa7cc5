import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ENCRYPTION_KEY } from './support/test-app';
import { startChildServer, stopChildServers } from './support/child-server';
import { createTestDatabase } from './support/test-database';
import { waitFor } from './support/wait-for';

const SECRET = 'durability-secret';
const providerEnv = {
  STRATECH_CLIENT_ID: 'id', STRATECH_CLIENT_SECRET: 'secret', STRATECH_WEBHOOK_SECRET: SECRET,
  STRATECH_API_URL: 'http://127.0.0.1:9', STRATECH_TOKEN_URL: 'http://127.0.0.1:9/{organizationReference}/token',
};

/** Exit code 0 after SIGTERM; otherwise the failure shows the end of the process's output (why it did not). */
async function expectCleanExit(server: { exited: Promise<number | null>; output(): string }): Promise<void> {
  const code = await server.exited;
  if (code !== 0) throw new Error(`exit code ${code} after SIGTERM; output:\n${server.output().replace(/token[^\n]*/gi, 'token …').slice(-3000)}`);
}

describe('durability', () => {
  afterEach(stopChildServers);

  it('SIGKILL mid-stream loses no event that was answered 2xx; a restarted process works them off', async () => {
    const db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, ADMIN_TOKEN: 'durability-admin-token', ENCRYPTION_KEY, WORKER: 'off', ...providerEnv };
    const first = await startChildServer(env);
    const answered: string[] = [];
    let n = 0;
    let killed = false;
    const sender = async () => {
      while (!killed || n < 10_000) {
        const i = n++;
        try {
          const res = await fetch(`${first.url}/webhooks/stratech/${SECRET}`, {
            method: 'POST', headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ eventType: 'Durability.test', eventData: { organizationReference: 'org_kill', n: i } }),
          });
          if (res.status === 202) answered.push(((await res.json()) as { eventId: string }).eventId);
        } catch {
          if (killed) return;
        }
      }
    };
    const senders = Array.from({ length: 6 }, sender);
    try {
      await waitFor(async () => answered.length >= 300, 30000);
    } finally {
      // Also when the wait fails: the senders stop once the server is gone.
      first.proc.kill('SIGKILL');
      killed = true;
      await Promise.all(senders);
    }
    await first.exited;

    const client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query('SELECT id FROM inbound_events WHERE id = ANY($1::uuid[])', [answered]);
    expect(rows.length).toBe(answered.length);

    // A new process (worker on) picks up everything that was committed.
    const second = await startChildServer({ ...env, WORKER: 'on' });
    await waitFor(async () => {
      const r = await client.query(`SELECT count(*)::int AS n FROM inbound_events WHERE status IN ('pending', 'processing', 'failed')`);
      return r.rows[0].n === 0;
    }, 30000);
    const done = await client.query(`SELECT count(*)::int AS n FROM inbound_events WHERE id = ANY($1::uuid[]) AND status = 'ignored'`, [answered]);
    expect(done.rows[0].n).toBe(answered.length);
    second.proc.kill('SIGTERM');
    await expectCleanExit(second);
    await client.end();
    await db.drop();
  });

  it('embedded mode: a port already taken stops start-up with one "start-up failed" line, exit 1, no stack trace, PostgreSQL stopped', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'inventory-embedded-'));
    chmodSync(dataDir, 0o711);
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '0.0.0.0', () => r()));
    try {
      const port = (taken.address() as AddressInfo).port;
      const proc = spawn(process.execPath, ['-r', './test/support/swc-register.cjs', 'src/main.ts'], {
        cwd: join(__dirname, '..'), env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'warn', DATA_DIR: dataDir, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      proc.stdout!.on('data', (d) => (out += d));
      proc.stderr!.on('data', (d) => (out += d));
      const code = await new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
      expect(code).toBe(1);
      expect(out).toContain('start-up failed');
      expect(out).toContain('EADDRINUSE');
      expect(out).not.toMatch(/\n\s+at [^\n]+:\d+:\d+\)?\n/); // no stack trace (was: an unhandled 57P01 from a pooled connection)
      expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    } finally {
      taken.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('embedded mode: after a SIGKILL the next start recovers the database, keeps the data and the admin token', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'inventory-embedded-'));
    chmodSync(dataDir, 0o711);
    try {
      const env = { DATA_DIR: dataDir };
      const first = await startChildServer(env);
      const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { adminToken: string };
      expect(first.output()).toContain(secrets.adminToken);
      const auth = { authorization: `Bearer ${secrets.adminToken}`, 'content-type': 'application/json' };
      const created = await fetch(`${first.url}/admin/connections`, { method: 'POST', headers: auth, body: JSON.stringify({ provider: 'syncaroo', externalId: '555' }) });
      expect(created.status).toBe(201);
      first.proc.kill('SIGKILL');
      await first.exited;
      // PostgreSQL outlives its parent after a SIGKILL; the next start must stop it and go on.
      expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(true);

      const second = await startChildServer(env);
      const again = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { adminToken: string };
      expect(again.adminToken).toBe(secrets.adminToken);
      const list = await fetch(`${second.url}/admin/connections`, { headers: auth });
      expect(list.status).toBe(200);
      const body = (await list.json()) as { items: Array<{ externalId: string }> };
      expect(body.items.map((c) => c.externalId)).toEqual(['555']);
      second.proc.kill('SIGTERM');
      await expectCleanExit(second);
      expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
