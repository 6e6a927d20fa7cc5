import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpRequest } from '../src/common/http-client';
import { freePort } from './support/child-server';
import { signSyncaroo, SyncarooFake, syncarooWebhook } from './fakes/syncaroo-fake.server';
import { startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

const SECRET = 'syncaroo-webhook-secret-for-tests';
const SYNC_LOC = '71116b1ad9fa63170734b695';
const METRIC = 'inventory_outbound_requests_total';

/** `{"provider/status": value}` of every line of the counter in a /metrics text. */
function outboundLines(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${METRIC}{`)) continue;
    const provider = /provider="([^"]*)"/.exec(line)?.[1];
    const status = /status="([^"]*)"/.exec(line)?.[1];
    out[`${provider}/${status}`] = Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}

/**
 * Issue 10: every outbound provider call counts once in inventory_outbound_requests_total, by provider and how
 * it ended (a status number, or timeout / network / aborted / too-large / redirect), visible on GET /metrics.
 */
describe('outbound provider calls in /metrics', () => {
  let fake: SyncarooFake;
  let ctx: TestContext;
  let silent: Server;

  const resourcePath = (sid: string) => `/api/v1/888/locations/${SYNC_LOC}/resources/${sid}`;
  const send = async (sid: string): Promise<string> => {
    const body = syncarooWebhook({ connectionId: 888, locationId: 'loc-888', syncarooId: sid, resourceId: '', apiUrl: `${fake.baseUrl}${resourcePath(sid)}` });
    return (await ctx.http().post('/webhooks/syncaroo').send(signSyncaroo(body, SECRET)).expect(202)).body.eventId;
  };
  const settled = (id: string) =>
    waitFor(async () => {
      const [row] = await ctx.db.query(`SELECT status, attempts, last_error FROM inbound_events WHERE id = $1`, [id]);
      return ['done', 'dead', 'ignored', 'held'].includes(row.status) && row;
    }, 30_000);
  const metrics = async () => {
    const res = await ctx.http().get('/metrics').expect(200);
    return outboundLines(res.text);
  };

  beforeAll(async () => {
    fake = await SyncarooFake.start();
    // A small cap for the too-large case; a short handler limit and a one-step schedule for the aborted one.
    ctx = await startTestApp({ ...fake.env(SECRET), PROVIDER_MAX_BYTES: String(64 * 1024), HANDLER_TIMEOUT_MS: '2000', RETRY_SCHEDULE: '0.05' });
    const conn = await ctx.newConnection({ provider: 'syncaroo', externalId: '888', name: 'Counted' });
    await ctx.newLocation(conn.id, { locationId: 'loc-888', name: 'Somewhere', timezone: 'Europe/Amsterdam' });
    silent = createServer(() => undefined); // takes requests, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await ctx?.close();
    await fake?.close();
    silent?.closeAllConnections();
    await new Promise((r) => silent?.close(r));
  });

  it('Syncaroo answers 200, 404, too large, a redirect and nothing (handler timeout): each call counted once with its status', async () => {
    expect(await metrics()).toEqual({});
    fake.set(resourcePath('ok-room'), { id: 'ok-room', name: 'Fine room', type: 'meeting-room' });
    fake.set(resourcePath('big-room'), { id: 'big-room', name: 'Big room', type: 'meeting-room', description: 'x'.repeat(100_000) });
    fake.respondWith(resourcePath('moved-room'), (_req, res) => {
      res.writeHead(302, { location: `${fake.baseUrl}/elsewhere` });
      res.end();
    });
    const stuck = fake.gate(resourcePath('stuck-room'));
    try {
      const ok = await settled(await send('ok-room'));
      expect(ok.status).toBe('done');
      const gone = await settled(await send('gone-room'));
      expect(['done', 'ignored']).toContain(gone.status);
      const big = await settled(await send('big-room'));
      expect(big).toMatchObject({ status: 'dead', attempts: 1 });
      expect(big.last_error).toContain('PROVIDER_MAX_BYTES');
      const moved = await settled(await send('moved-room'));
      expect(moved).toMatchObject({ status: 'dead', attempts: 1 });
      const hung = await settled(await send('stuck-room'));
      expect(hung).toMatchObject({ status: 'dead', attempts: 2 });
      expect(stuck.waiting()).toBe(2);
    } finally {
      stuck.release();
    }

    // Token POSTs and the ok-room GET answered 200; gone-room 404; the others never gave a usable answer.
    const tokens = fake.tokenRequests().filter((c) => c.status === 200).length;
    expect(tokens).toBeGreaterThanOrEqual(1);
    expect(fake.calls.filter((c) => c.status === 404)).toHaveLength(1);
    expect(fake.callsTo(resourcePath('big-room'), 'GET')).toHaveLength(1);
    expect(fake.callsTo(resourcePath('moved-room'), 'GET')).toHaveLength(1);
    expect(await metrics()).toEqual({
      'syncaroo/200': tokens + 1,
      'syncaroo/404': 1,
      'syncaroo/too-large': 1,
      'syncaroo/redirect': 1,
      'syncaroo/aborted': 2,
    });
  });

  it('a call that times out and one that cannot connect count as timeout and network, under the provider they name', async () => {
    const before = await metrics();
    const { port } = silent.address() as AddressInfo;
    await expect(httpRequest(`http://127.0.0.1:${port}/slow`, { timeoutMs: 200, provider: 'lockme' })).rejects.toThrow('timed out');
    await expect(httpRequest(`http://127.0.0.1:${await freePort()}/closed`, { provider: 'stratech' })).rejects.toThrow('network error');
    expect(await metrics()).toEqual({ ...before, 'lockme/timeout': 1, 'stratech/network': 1 });
  });
});
