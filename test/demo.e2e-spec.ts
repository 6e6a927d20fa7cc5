import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/*
 * `npm run demo` end to end: scripts/demo.mjs starts the fake providers and the real server (embedded PostgreSQL
 * in a temp dir), configures it through the admin API, sends the providers' webhooks, waits for them and prints a
 * summary. `npm test` does not build dist/, so the demo runs the server from src/ (`--source`: the same swc
 * register hook test/support/child-server.ts uses); `npm run demo` itself builds and runs dist/.
 */

const ROOT = resolve(__dirname, '..');
/** What scripts/demo/data.mjs loads: 6 Syncaroo spaces, 2 Lockme rooms, 3 Stratech products. */
const EXPECTED = {
  resources: { syncaroo: 6, lockme: 2, stratech: 3 },
  bookings: { syncaroo: 3, lockme: 2 },
  losRows: 3 * 60 * 7,
  webhooks: 16,
};

interface Summary {
  serverUrl: string;
  consoleUrl: string;
  adminToken: string;
  dataDir: string;
  fakes: { syncaroo: string; lockme: string; stratech: string };
  connections: { syncaroo: string; lockme: string; stratech: string };
  webhooksSent: number;
  resources: { total: number; active: number; byProvider: Record<string, number>; byType: Record<string, number> };
  bookings: { total: number; byProvider: Record<string, number>; byStatus: Record<string, number> };
  los: { rows: number; resources: number; arrivalDays: number; lengthsOfStay: number };
  events: { total: number; byStatus: Record<string, number> };
}

interface Demo {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

function startDemo(args: string[]): Demo {
  // Only PATH and HOME: no DATABASE_URL or provider settings of the caller leak into the demo.
  const proc = spawn(process.execPath, ['scripts/demo.mjs', '--source', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => {
    running.delete(proc);
    r(code);
  }));
  return { proc, output: () => out, exited };
}

/** Resolves once `marker` is printed; fails (with the output) if the demo exits first. */
async function printed(demo: Demo, marker: string): Promise<void> {
  for (;;) {
    if (demo.output().includes(marker)) return;
    if (demo.proc.exitCode !== null) throw new Error(`demo exited ${demo.proc.exitCode} before printing ${marker}:\n${demo.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function summaryOf(output: string): Summary {
  const line = output.split('\n').find((l) => l.startsWith('DEMO_SUMMARY '));
  if (!line) throw new Error(`no DEMO_SUMMARY line in:\n${output}`);
  return JSON.parse(line.slice('DEMO_SUMMARY '.length)) as Summary;
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(5000) });
    return false;
  } catch {
    return true;
  }
}

function expectLoaded(s: Summary): void {
  expect(s.webhooksSent).toBe(EXPECTED.webhooks);
  expect(s.resources.byProvider).toEqual(EXPECTED.resources);
  expect(s.resources.total).toBe(11);
  expect(s.resources.active).toBe(11);
  expect(s.resources.byType).toEqual({ 'meeting-room': 3, 'hot-desk': 1, 'fixed-desk': 1, office: 1, room: 2, accommodation: 3 });
  expect(s.bookings.total).toBeGreaterThanOrEqual(1);
  expect(s.bookings.byProvider).toEqual(EXPECTED.bookings);
  expect(s.los).toMatchObject({ rows: EXPECTED.losRows, resources: 3, arrivalDays: 60, lengthsOfStay: 7 });
  // Every webhook the demo sent was processed: none held, failed, dead or still waiting.
  expect(s.events.byStatus).toEqual({ done: EXPECTED.webhooks });
}

describe('npm run demo', () => {
  afterEach(async () => {
    await Promise.all([...running].map(async (proc) => {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGINT');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      await gone;
      clearTimeout(timer);
    }));
  });

  it('--exit: loads the example data through the public API, prints URLs, token and summary, then stops everything', async () => {
    const demo = startDemo(['--exit']);
    const code = await demo.exited;
    const out = demo.output();
    expect({ code, out }).toEqual({ code: 0, out: expect.stringContaining('server stopped (exit code 0)') });

    const s = summaryOf(out);
    expectLoaded(s);
    expect(s.serverUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.consoleUrl).toBe(`${s.serverUrl}/console`);
    expect(s.adminToken.length).toBeGreaterThanOrEqual(16);
    expect(out).toContain(`server       ${s.serverUrl}`);
    expect(out).toContain(`console      ${s.consoleUrl}`);
    expect(out).toContain(`admin token  ${s.adminToken}`);
    expect(out).toMatch(/resources\s+11 /);
    expect(out).toContain(`LOS rows     ${EXPECTED.losRows} `);

    // Stopped: the server and the fakes are gone, and so is the temp data dir (its PostgreSQL was stopped first).
    expect(existsSync(s.dataDir)).toBe(false);
    expect(await refused(`${s.serverUrl}/health/live`)).toBe(true);
    for (const url of Object.values(s.fakes)) expect(await refused(url)).toBe(true);
  }, 300_000);

  it('keeps serving until SIGINT: the printed URL and token read the loaded inventory; then a clean stop', async () => {
    const demo = startDemo([]);
    await printed(demo, 'Press Ctrl-C to stop.');
    const s = summaryOf(demo.output());
    expectLoaded(s);
    const auth = { authorization: `Bearer ${s.adminToken}` };
    const get = async (path: string) => {
      const res = await fetch(`${s.serverUrl}${path}`, { headers: auth });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      return (await res.json()) as { items: Array<Record<string, unknown>>; nextCursor: string | null };
    };

    expect((await fetch(`${s.serverUrl}/health/ready`)).status).toBe(200);
    expect((await fetch(`${s.serverUrl}/resources`)).status).toBe(401);

    // Syncaroo: the spaces, with the update applied over the "new" resource.
    const coworking = (await get('/resources?locationId=11980')).items;
    expect(coworking).toHaveLength(6);
    expect(coworking.find((r) => r.name === 'Boardroom Amstel (refurbished)')).toMatchObject({ type: 'meeting-room', capacity: 14, provider: 'syncaroo', status: 'active' });
    const bookings = await Promise.all(coworking.map(async (r) => (await get(`/resources/${r.id}/bookings`)).items));
    expect(bookings.flat()).toHaveLength(EXPECTED.bookings.syncaroo);

    // Lockme: rooms named from GET /rooms, the edited reservation moved, no customer data kept.
    const rooms = (await get('/resources?provider=lockme')).items;
    expect(rooms.map((r) => r.name).sort()).toEqual(["Prison Break", "The Alchemist's Lab"]);
    const lab = rooms.find((r) => r.name === "The Alchemist's Lab")!;
    const labBookings = (await get(`/resources/${lab.id}/bookings`)).items;
    expect(labBookings).toEqual([expect.objectContaining({ externalId: '555001', status: 'confirmed', people: 4 })]);
    expect(JSON.stringify(labBookings)).not.toContain('Kowalski');

    // Stratech: one stay length across the park = 3 products × 60 arrival days.
    const weeks = await get('/los?locationId=park-veluwe&lengthOfStay=7&limit=500');
    expect(weeks.items).toHaveLength(3 * 60);
    expect(weeks.nextCursor).toBeNull();

    // Nothing left to do in the inbox.
    for (const status of ['pending', 'processing', 'failed', 'held', 'dead']) expect((await get(`/admin/events?status=${status}`)).items).toEqual([]);

    // The fakes are up and check tokens as the providers do.
    expect((await fetch(`${s.fakes.lockme}/rooms`)).status).toBe(401);
    expect((await fetch(`${s.fakes.syncaroo}/11980`)).status).toBe(401);

    demo.proc.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toContain('server stopped (exit code 0)');
    expect(existsSync(s.dataDir)).toBe(false);
    expect(await refused(`${s.serverUrl}/health/live`)).toBe(true);
  }, 300_000);
});
