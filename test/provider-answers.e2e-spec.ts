import type { IncomingMessage, ServerResponse } from 'node:http';
import { signSyncaroo, SyncarooFake, syncarooWebhook, WebhookSpec } from './fakes/syncaroo-fake.server';
import { startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

const SECRET = 'syncaroo-webhook-secret-for-tests';
const SYNC_LOC = '61116b1ad9fa63170734b694';
const MIB = 1024 * 1024;

interface Streamed {
  sent: number;
  closedEarly: boolean;
  closed: Promise<void>;
}

/**
 * Answers a valid Syncaroo resource JSON of `total` bytes (its description is the filler), written in
 * 64 KiB chunks as the client reads them; `declare` adds a matching Content-Length.
 */
function hugeResource(sid: string, total: number, declare: boolean, seen: Streamed[]) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    const head = Buffer.from(JSON.stringify({ id: sid, name: 'Huge room', type: 'meeting-room', capacity: 3 }).slice(0, -1) + ',"description":"');
    const tail = Buffer.from('"}');
    const filler = Buffer.alloc(64 * 1024, 'x');
    const s: Streamed = { sent: 0, closedEarly: false, closed: Promise.resolve() };
    seen.push(s);
    s.closed = new Promise((r) => res.once('close', () => {
      s.closedEarly = !res.writableFinished;
      r();
    }));
    res.writeHead(200, { 'content-type': 'application/json', ...(declare ? { 'content-length': String(total) } : {}) });
    let left = total - head.length - tail.length;
    res.write(head);
    s.sent += head.length;
    const pump = () => {
      while (left > 0 && !res.destroyed) {
        const chunk = left >= filler.length ? filler : filler.subarray(0, left);
        left -= chunk.length;
        s.sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) {
        s.sent += tail.length;
        res.end(tail);
      }
    };
    pump();
  };
}

describe('Provider answers: size cap (PROVIDER_MAX_BYTES) and redirects, end to end through Syncaroo webhooks', () => {
  let fake: SyncarooFake;
  let ctx: TestContext;
  let conn: Record<string, any>;

  const resourcePath = (sid: string) => `/api/v1/777/locations/${SYNC_LOC}/resources/${sid}`;
  const send = async (spec: WebhookSpec): Promise<string> => {
    const res = await ctx.http().post('/webhooks/syncaroo').send(signSyncaroo(syncarooWebhook(spec), SECRET)).expect(202);
    return res.body.eventId;
  };
  const eventRow = async (id: string) =>
    (await ctx.db.query(`SELECT status, attempts, last_error FROM inbound_events WHERE id = $1`, [id]))[0];
  /** The event once it has settled; on a timeout the error shows the row as last seen. */
  const final = async (id: string) => {
    let last: unknown;
    try {
      return await waitFor(async () => {
        const row = await eventRow(id);
        last = row;
        return ['done', 'dead', 'ignored', 'held'].includes(row.status) && row;
      }, 20_000);
    } catch {
      throw new Error(`event ${id} not settled in 20 s; last seen ${JSON.stringify(last)}`);
    }
  };
  const stored = async (sid: string) => ({
    resources: await ctx.db.query(`SELECT id FROM resources WHERE provider = 'syncaroo' AND external_id = $1`, [sid]),
  });

  beforeAll(async () => {
    fake = await SyncarooFake.start();
    ctx = await startTestApp({ ...fake.env(SECRET), PROVIDER_MAX_BYTES: String(MIB) });
    conn = await ctx.newConnection({ provider: 'syncaroo', externalId: '777', name: 'Big answers' });
    await ctx.newLocation(conn.id, { locationId: 'loc-777', name: 'Somewhere', timezone: 'Europe/Amsterdam' });
  });
  afterAll(async () => {
    await ctx?.close();
    await fake?.close();
  });

  it.each([
    ['streamed without Content-Length', false],
    ['declared by Content-Length', true],
  ])('a ~50 MB resource answer (%s) over PROVIDER_MAX_BYTES=1 MiB: the event is dead at once, nothing stored, the read stopped early', async (_label, declare) => {
    const sid = `huge-${declare ? 'declared' : 'streamed'}`;
    const path = resourcePath(sid);
    const seen: Streamed[] = [];
    fake.respondWith(path, hugeResource(sid, 50 * MIB, declare, seen));
    const apiUrl = `${fake.baseUrl}${path}`;
    const eventId = await send({
      connectionId: 777, locationId: 'loc-777', syncarooId: sid, resourceId: '', action: 'new',
      apiUrl, actionCallback: `${apiUrl}/mapped`,
    });
    const row = await final(eventId);
    expect(row).toMatchObject({ status: 'dead', attempts: 1 });
    expect(row.last_error).toContain(`GET ${apiUrl}: answer larger than ${MIB} bytes (PROVIDER_MAX_BYTES)`);
    expect(await stored(sid)).toEqual({ resources: [] });
    expect(fake.callsTo(path, 'GET')).toHaveLength(1);
    expect(fake.callsTo(`${path}/mapped`)).toHaveLength(0);
    await seen[0].closed;
    expect(seen[0].closedEarly).toBe(true);
    expect(seen[0].sent).toBeLessThan(10 * MIB);
  });

  it('an answer within the cap is applied as usual', async () => {
    const sid = 'small-room';
    const path = resourcePath(sid);
    fake.set(path, { id: sid, name: 'Small room', type: 'meeting-room', description: 'd'.repeat(100_000) });
    const row = await final(await send({ connectionId: 777, locationId: 'loc-777', syncarooId: sid, resourceId: 'small-1', apiUrl: `${fake.baseUrl}${path}` }));
    expect(row.status).toBe('done');
    const [r] = await ctx.db.query(`SELECT name, attributes FROM resources WHERE id = 'small-1'`);
    expect(r.name).toBe('Small room');
    expect(r.attributes.description).toHaveLength(2000);
  });

  it('apiUrl answering a redirect: dead on the first attempt with the redirect message (no Location), the target never fetched', async () => {
    const sid = 'moved-room';
    const path = resourcePath(sid);
    fake.respondWith(path, (_req, res) => {
      res.writeHead(302, { location: `${fake.baseUrl}/api/v1/777/elsewhere?access_token=secret-in-location` });
      res.end();
    });
    fake.set('/api/v1/777/elsewhere', { id: sid, name: 'Followed', type: 'meeting-room' });
    const apiUrl = `${fake.baseUrl}${path}`;
    const row = await final(await send({ connectionId: 777, locationId: 'loc-777', syncarooId: sid, resourceId: 'moved-1', apiUrl }));
    expect(row).toMatchObject({
      status: 'dead',
      attempts: 1,
      last_error: `GET ${apiUrl}: upstream redirected (302) to another location; redirects are not followed`,
    });
    expect(row.last_error).not.toContain('secret-in-location');
    expect(fake.callsTo(path, 'GET')).toHaveLength(1);
    expect(fake.callsTo('/api/v1/777/elsewhere')).toHaveLength(0);
    expect(await stored(sid)).toEqual({ resources: [] });
  });
});
