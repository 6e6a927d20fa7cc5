import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { HugeAnswerServer, HugeAnswerStats, hugeJsonAnswer, losDataset, roomArray } from './fakes/huge-answer.server';
import { StratechFake } from './fakes/stratech-fake.server';
import { signSyncaroo, SyncarooFake, syncarooWebhook } from './fakes/syncaroo-fake.server';
import { ChildServer, startChildServer, stopChildServers } from './support/child-server';
import { ENCRYPTION_KEY } from './support/test-app';
import { createTestDatabase } from './support/test-database';
import { waitFor } from './support/wait-for';

const SECRET = 'huge-answer-syncaroo-webhook-secret';
const STRATECH_SECRET = 'huge-answer-stratech-webhook-secret-7q';
const ORG = 'org_huge';
const ADMIN = 'huge-answer-admin-token-5k2v9q';
const SYNC_LOC = '81116b1ad9fa63170734b696';
const MB = 1000 * 1000;
const MIB = 1024 * 1024;

/** Peak resident set size of a process so far (VmHWM), bytes. */
function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/**
 * CONTRACT.md section 12, in a real server process with the default PROVIDER_MAX_BYTES (8 MiB): a provider
 * answering ~300 MB (a JSON array streamed on the fly, with and without Content-Length) makes the event dead at
 * once with a lastError naming the setting, the read stops early, and the process neither dies nor grows
 * to the answer's size. The same for a ~300 MB Stratech LOS dataset over STRATECH_DATASET_MAX_BYTES (20 MiB
 * here), which is parsed and written as it streams until the cap cuts it off.
 */
describe('a 300 MB provider answer, end to end in a child server', () => {
  let fake: SyncarooFake;
  let stratech: StratechFake;
  let stratechApi: HugeAnswerServer;
  let db: { url: string; drop(): Promise<void> };
  let server: ChildServer;
  let pg: Client;

  const admin = (path: string, body: unknown) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const resourcePath = (sid: string) => `/api/v1/999/locations/${SYNC_LOC}/resources/${sid}`;
  const stratechHook = async (body: unknown): Promise<string> => {
    const res = await fetch(`${server.url}/webhooks/stratech/${STRATECH_SECRET}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(202);
    return ((await res.json()) as { eventId: string }).eventId;
  };
  const settled = (eventId: string) =>
    waitFor(async () => {
      const [r] = (await pg.query(`SELECT status, attempts, last_error, connection_id FROM inbound_events WHERE id = $1`, [eventId])).rows;
      return ['done', 'dead', 'ignored', 'held'].includes(r.status) && r;
    }, 60_000, 100);
  /**
   * Up and answering, and its peak RSS so far under 400 MB: the idle server is ~200 MB, so an answer held in
   * memory (300 MB of text, more as a string or parsed) cannot fit, while GC timing under load has room.
   */
  const expectUpAndSmall = async () => {
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
    expect(server.proc.exitCode).toBeNull();
    const peak = peakRss(server.proc.pid!);
    expect({ peakMB: Math.round(peak / MB), under: peak < 400 * MB }).toEqual({ peakMB: expect.any(Number), under: true });
  };

  beforeAll(async () => {
    fake = await SyncarooFake.start();
    stratech = await StratechFake.start();
    stratechApi = await HugeAnswerServer.start();
    db = await createTestDatabase();
    server = await startChildServer({
      DATABASE_URL: db.url, ADMIN_TOKEN: ADMIN, ENCRYPTION_KEY, ...fake.env(SECRET),
      STRATECH_API_URL: stratechApi.baseUrl, STRATECH_TOKEN_URL: stratech.tokenUrl, STRATECH_CLIENT_ID: stratech.clientId,
      STRATECH_CLIENT_SECRET: stratech.clientSecret, STRATECH_WEBHOOK_SECRET: STRATECH_SECRET, STRATECH_DATASET_MAX_BYTES: String(20 * MIB),
    });
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    const conn = await admin('/admin/connections', { provider: 'syncaroo', externalId: '999', name: 'Huge answers' });
    expect(conn.status).toBe(201);
    const { id } = (await conn.json()) as { id: string };
    expect((await admin(`/admin/connections/${id}/locations`, { locationId: 'loc-999', name: 'Somewhere', timezone: 'Europe/Amsterdam' })).status).toBe(201);
  });
  afterAll(async () => {
    await pg?.end().catch(() => undefined);
    await stopChildServers();
    await fake?.close();
    await stratech?.close();
    await stratechApi?.close();
    await db?.drop();
  });

  it.each([
    ['with Content-Length', true],
    ['chunked, without Content-Length', false],
  ])('Syncaroo resource GET answering ~300 MB (%s): dead on the first attempt, read cut off early, process up and small', async (_label, declare) => {
    const sid = `huge-${declare ? 'declared' : 'chunked'}`;
    const path = resourcePath(sid);
    const seen: HugeAnswerStats[] = [];
    fake.respondWith(path, hugeJsonAnswer(roomArray, 300 * MB, declare, seen));
    const apiUrl = `${fake.baseUrl}${path}`;
    const hook = await fetch(`${server.url}/webhooks/syncaroo`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(signSyncaroo(syncarooWebhook({ connectionId: 999, locationId: 'loc-999', syncarooId: sid, resourceId: '', apiUrl }), SECRET)),
    });
    expect(hook.status).toBe(202);
    const { eventId } = (await hook.json()) as { eventId: string };

    const row = await settled(eventId);
    expect(row).toMatchObject({ status: 'dead', attempts: 1 });
    expect(row.last_error).toBe(`GET ${apiUrl}: answer larger than ${8 * MIB} bytes (PROVIDER_MAX_BYTES)`);
    await expectUpAndSmall();

    expect(fake.callsTo(path, 'GET')).toHaveLength(1);
    expect(seen).toHaveLength(1);
    await seen[0].closed;
    expect(seen[0].total).toBeGreaterThan(299 * MB);
    expect(seen[0].cutOff).toBe(true);
    // Cut off well before 300 MB: the cap plus what sockets buffer on the way.
    expect(seen[0].sent).toBeLessThan(40 * MB);
  });

  describe('a Stratech LOS dataset of ~300 MB over STRATECH_DATASET_MAX_BYTES=20 MiB', () => {
    let locationId: string;

    beforeAll(async () => {
      const redirectUri = 'https://example.stratechbooking.nl/login-client-callback';
      const code = stratech.issueCode(ORG, redirectUri);
      const auth = await settled(await stratechHook({ eventType: 'Authorization.code.created', eventData: { organizationReference: ORG, code, redirectUri } }));
      expect(auth).toMatchObject({ status: 'done' });
      locationId = 'park-huge';
      expect((await admin(`/admin/connections/${auth.connection_id}/locations`, { locationId, externalId: 'resort-huge', timezone: 'Europe/Amsterdam' })).status).toBe(201);
    });

    it.each([
      ['with Content-Length', true],
      ['chunked, without Content-Length', false],
    ])('(%s): dead on the first attempt naming the setting, nothing stored, read cut off early, process up and small', async (_label, declare) => {
      const channel = 'web';
      const key = `los-huge-${declare ? 'declared' : 'chunked'}`;
      const path = `/v1/channels/${channel}/los/${key}`;
      const seen: HugeAnswerStats[] = [];
      stratechApi.answer(path, hugeJsonAnswer(losDataset({ key, organizationReference: ORG, resortReference: 'resort-huge', channelReference: channel }), 300 * MB, declare, seen));
      const eventId = await stratechHook({
        eventType: 'PriceAvailability.los.created',
        eventData: { organizationReference: ORG, resortReference: 'resort-huge', channelReference: channel, key },
      });
      const row = await settled(eventId);
      expect(row).toMatchObject({ status: 'dead', attempts: 1 });
      expect(row.last_error).toContain(`answer larger than ${20 * MIB} bytes (STRATECH_DATASET_MAX_BYTES)`);
      await expectUpAndSmall();
      expect((await pg.query(`SELECT count(*)::int AS n FROM los_rows WHERE location_id = $1`, [locationId])).rows[0].n).toBe(0);

      expect(stratechApi.gets.filter((p) => p === path)).toHaveLength(1);
      expect(seen).toHaveLength(1);
      await seen[0].closed;
      expect(seen[0].total).toBeGreaterThan(299 * MB);
      expect(seen[0].cutOff).toBe(true);
      expect(seen[0].sent).toBeLessThan(60 * MB);
    });
  });

  it('its /metrics counts each huge answer once, as too-large, under its provider', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = (provider: string, status: string) =>
      text.split('\n').find((l) => l.startsWith('inventory_outbound_requests_total{') && l.includes(`provider="${provider}"`) && l.includes(`status="${status}"`));
    expect(line('syncaroo', 'too-large')).toMatch(/ 2$/);
    expect(line('stratech', 'too-large')).toMatch(/ 2$/);
  });
});
