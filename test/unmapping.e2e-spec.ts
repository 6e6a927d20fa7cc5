import { Client } from 'pg';
import { addMessage, LockmeFake } from './fakes/lockme-fake.server';
import { FakeLosDataset, StratechFake, StratechKit } from './fakes/stratech-fake.server';
import { signSyncaroo, SyncarooFake, syncarooWebhook, WebhookSpec } from './fakes/syncaroo-fake.server';
import { startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

const STRATECH_SECRET = 'stratech-webhook-secret-unmap';
const SYNCAROO_SECRET = 'syncaroo-webhook-secret-unmap';

type Cell = { arrivalDate: string; lengthOfStay: number; unitsAvailable: number; price?: number | null };
const cell = (arrivalDate: string, lengthOfStay: number, unitsAvailable: number, price?: number): Cell =>
  ({ arrivalDate, lengthOfStay, unitsAvailable, ...(price === undefined ? {} : { price }) });

function dataset(org: string, resort: string, channel: string, key: string, products: Record<string, Cell[]>): FakeLosDataset {
  return {
    key, organizationReference: org, resortReference: resort, channelReference: channel, currency: 'EUR',
    products: Object.entries(products).map(([productId, losPriceAvailability]) => ({ productId, losPriceAvailability })),
  };
}

interface ResourceView { id: string; locationId: string; status: string; provider: string; externalId: string }

/**
 * CONTRACT.md section 6 (v2): unmapping a location retires the connection's data there, and a connection
 * mapped to it afterwards starts clean. One app with all three providers against their fakes.
 */
describe('unmapping a location retires the connection’s data there', () => {
  let ctx: TestContext;
  let stratech: StratechFake;
  let lockme: LockmeFake;
  let syncaroo: SyncarooFake;
  let kit: StratechKit;
  let nextMessageId = 41000;

  beforeAll(async () => {
    [stratech, lockme, syncaroo] = await Promise.all([StratechFake.start(), LockmeFake.start(), SyncarooFake.start()]);
    lockme.rooms = [{ roomid: 12, room: 'Pharaoh tomb', department: 3 }, { roomid: 13, room: 'Bank heist', department: 3 }];
    ctx = await startTestApp({
      STRATECH_API_URL: stratech.baseUrl,
      STRATECH_TOKEN_URL: stratech.tokenUrl,
      STRATECH_CLIENT_ID: stratech.clientId,
      STRATECH_CLIENT_SECRET: stratech.clientSecret,
      STRATECH_WEBHOOK_SECRET: STRATECH_SECRET,
      ...lockme.env,
      ...syncaroo.env(SYNCAROO_SECRET),
      RESYNC_DAYS: '1',
    });
    kit = new StratechKit(ctx, stratech, STRATECH_SECRET);
  });
  afterAll(async () => {
    await ctx?.close();
    await Promise.all([stratech?.close(), lockme?.close(), syncaroo?.close()]);
  });

  const unmap = (connectionId: string, locationId: string) =>
    ctx.admin.delete(`/admin/connections/${connectionId}/locations/${locationId}`).expect(204);
  /** GET /resources?locationId with the default filters (every status). */
  const resourcesIn = async (locationId: string, query = ''): Promise<ResourceView[]> =>
    (await ctx.reader.get(`/resources?locationId=${encodeURIComponent(locationId)}${query}`).expect(200)).body.items;
  const losIn = async (locationId: string) =>
    (await ctx.reader.get(`/los?locationId=${encodeURIComponent(locationId)}&limit=500`).expect(200)).body.items as Array<Record<string, any>>;
  const eventOf = async (id: string) =>
    (await ctx.admin.get(`/admin/events/${id}`).expect(200)).body as { status: string; lastError: string | null; connectionId: string | null };
  const settle = (id: string, statuses = ['done', 'ignored', 'held', 'dead']) =>
    waitFor(async () => {
      const e = await eventOf(id);
      return statuses.includes(e.status) ? e : null;
    }, 15000);

  it('stratech: after unmapping, the next organization mapped to the location starts clean (its partials and dataset apply, only its rows are listed)', async () => {
    const L = 'park-shared';
    const a = await kit.authorize('org_unmap_a');
    await kit.map(a, 'rst_a', L);
    stratech.putDataset(dataset('org_unmap_a', 'rst_a', 'dc_x', 'kA', {
      a_lodge: [cell('2027-05-01', 1, 4, 100), cell('2027-05-01', 2, 4, 190)],
      a_villa: [cell('2027-05-01', 7, 1, 900)],
    }));
    expect((await kit.settle(await kit.send(kit.losCreated('org_unmap_a', 'rst_a', 'dc_x', 'kA')))).status).toBe('done');
    const aResources = await resourcesIn(L);
    expect(aResources.map((r) => [r.externalId, r.status])).toEqual(expect.arrayContaining([['a_lodge', 'active'], ['a_villa', 'active']]));
    expect(await losIn(L)).toHaveLength(3);

    await unmap(a, L);
    // A's products are no longer active there, and none of A's LOS rows is listed.
    const afterUnmap = await resourcesIn(L);
    expect(afterUnmap.map((r) => [r.externalId, r.status]).sort()).toEqual([['a_lodge', 'removed'], ['a_villa', 'removed']]);
    expect(await resourcesIn(L, '&status=active')).toEqual([]);
    expect(await losIn(L)).toEqual([]);

    const b = await kit.authorize('org_unmap_b');
    await kit.map(b, 'rst_b', L);
    // B's first partial, with no dataset of B loaded yet, applies (A's dataset key is not "the loaded dataset").
    const early = await kit.settle(await kit.send(kit.losUpdated('org_unmap_b', 'rst_b', 'dc_x', 'kB0', [
      { productId: 'b_tent', losPriceAvailability: [{ arrivalDate: '2027-05-02', lengthOfStay: 1, unitsAvailable: 6 }] },
    ])));
    expect({ status: early.status, lastError: early.last_error }).toEqual({ status: 'done', lastError: null });

    stratech.putDataset(dataset('org_unmap_b', 'rst_b', 'dc_x', 'kB', {
      b_tent: [cell('2027-05-01', 1, 9, 40), cell('2027-05-02', 1, 8, 45)],
    }));
    expect((await kit.settle(await kit.send(kit.losCreated('org_unmap_b', 'rst_b', 'dc_x', 'kB')))).status).toBe('done');
    const partial = await kit.settle(await kit.send(kit.losUpdated('org_unmap_b', 'rst_b', 'dc_x', 'kB', [
      { productId: 'b_tent', losPriceAvailability: [{ arrivalDate: '2027-05-01', lengthOfStay: 1, unitsAvailable: 3 }] },
    ])));
    expect({ status: partial.status, lastError: partial.last_error }).toEqual({ status: 'done', lastError: null });

    const active = await resourcesIn(L, '&status=active');
    expect(active.map((r) => [r.provider, r.externalId])).toEqual([['stratech', 'b_tent']]);
    const tent = active[0].id;
    expect((await losIn(L)).map((r) => [r.resourceId, r.arrivalDate, r.lengthOfStay, r.unitsAvailable, r.price])).toEqual([
      [tent, '2027-05-01', 1, 3, 40],
      [tent, '2027-05-02', 1, 8, 45],
    ]);
    // A's rows and dataset are gone, not just hidden.
    const [{ n }] = await ctx.db.query(`SELECT count(*)::int AS n FROM los_rows WHERE connection_id = $1`, [a]);
    expect(n).toBe(0);
    expect(await ctx.db.query(`SELECT connection_id, dataset_key FROM los_datasets WHERE location_id = $1`, [L]))
      .toEqual([{ connection_id: b, dataset_key: 'kB' }]);

    // A later LOS event of A for its old resort waits for a mapping and touches nothing in L.
    const late = await kit.settle(await kit.send(kit.losUpdated('org_unmap_a', 'rst_a', 'dc_x', 'kA', [
      { productId: 'a_lodge', losPriceAvailability: [{ arrivalDate: '2027-05-01', lengthOfStay: 1, unitsAvailable: 2 }] },
    ])));
    expect(late.status).toBe('held');
    expect((await resourcesIn(L, '&status=active')).map((r) => r.externalId)).toEqual(['b_tent']);
    expect(await losIn(L)).toHaveLength(2);
  });

  it('lockme: the rooms become removed; a later message of the connection is held, and does not re-activate them in the old location', async () => {
    const tokens = lockme.grant();
    const c = await ctx.newConnection({ provider: 'lockme', externalId: undefined, name: 'Escape A', credentials: tokens });
    const path = new URL(c.webhookUrl).pathname;
    const old = (await ctx.newLocation(c.id, { timezone: 'Europe/Warsaw', name: 'Kraków' })).locationId as string;
    const deliver = async (message: unknown) => {
      const messageId = String(nextMessageId++);
      lockme.messages.set(messageId, message);
      const res = await ctx.http().post(path).set('X-MessageId', messageId).expect(202);
      return { eventId: res.body.eventId as string, messageId };
    };
    for (const m of [addMessage(71001), addMessage(71002, { roomid: 13 }, 13)]) {
      expect((await settle((await deliver(m)).eventId)).status).toBe('done');
    }
    expect((await resourcesIn(old)).map((r) => [r.externalId, r.status])).toEqual(expect.arrayContaining([['12', 'active'], ['13', 'active']]));

    await unmap(c.id, old);
    expect((await resourcesIn(old)).map((r) => [r.externalId, r.status]).sort()).toEqual([['12', 'removed'], ['13', 'removed']]);
    expect(await resourcesIn(old, '&status=active')).toEqual([]);

    // No location is mapped to the connection any more: held, not acknowledged, nothing re-activated.
    const later = await deliver(addMessage(71003));
    const held = await settle(later.eventId);
    expect(held.status).toBe('held');
    expect(held.lastError).toMatch(/no location mapped/);
    expect(lockme.acks(later.messageId)).toBe(0);
    expect(await resourcesIn(old, '&status=active')).toEqual([]);

    // Mapping a new location releases it: the room is placed in the new location, the old one stays clean.
    const fresh = (await ctx.newLocation(c.id, { timezone: 'Europe/Warsaw', name: 'Wrocław' })).locationId as string;
    expect((await settle(later.eventId, ['done', 'dead', 'ignored'])).status).toBe('done');
    expect(lockme.acks(later.messageId)).toBe(1);
    expect((await resourcesIn(fresh, '&status=active')).map((r) => r.externalId)).toEqual(['12']);
    expect(await resourcesIn(old, '&status=active')).toEqual([]);

    // A resync places the rooms it lists in a mapped location, never back in the unmapped one.
    const resync = await ctx.admin.post(`/admin/connections/${c.id}/resync`).expect(202);
    expect((await settle(resync.body.eventId)).status).toBe('done');
    expect((await resourcesIn(fresh, '&status=active')).map((r) => r.externalId).sort()).toEqual(['12', '13']);
    expect(await resourcesIn(old, '&status=active')).toEqual([]);
  });

  it('syncaroo: the resource becomes removed; a later webhook for the old location is held and leaves it removed', async () => {
    const c = await ctx.newConnection({ provider: 'syncaroo', externalId: '4242', name: 'Cowork A' });
    const locationId = 'cowork-unmap';
    await ctx.newLocation(c.id, { locationId, timezone: 'Europe/Amsterdam' });
    const resPath = `/api/v1/4242/locations/${locationId}/resources/sy-room-1`;
    syncaroo.set(resPath, { id: 'sy-room-1', name: 'Board Room', type: 'meeting-room', capacity: 8 });
    const spec: WebhookSpec = { connectionId: 4242, locationId, syncarooId: 'sy-room-1', resourceType: 'meeting-room', resourceId: 'sy-r1', apiUrl: `${syncaroo.baseUrl}${resPath}` };
    const send = async () =>
      (await ctx.http().post('/webhooks/syncaroo').send(signSyncaroo(syncarooWebhook(spec), SYNCAROO_SECRET)).expect(202)).body.eventId as string;

    expect((await settle(await send())).status).toBe('done');
    expect((await resourcesIn(locationId)).map((r) => [r.id, r.status])).toEqual([['sy-r1', 'active']]);

    await unmap(c.id, locationId);
    expect((await resourcesIn(locationId)).map((r) => [r.id, r.status])).toEqual([['sy-r1', 'removed']]);
    expect((await ctx.reader.get('/resources/sy-r1').expect(200)).body.status).toBe('removed');

    syncaroo.set(resPath, { id: 'sy-room-1', name: 'Board Room (renamed)', type: 'meeting-room', capacity: 10 });
    const later = await settle(await send());
    expect(later.status).toBe('held');
    expect(later.lastError).toMatch(/not mapped/);
    expect((await resourcesIn(locationId)).map((r) => [r.id, r.status])).toEqual([['sy-r1', 'removed']]);
  });

  it('an unmapping that names a location mapped to another connection answers 404 at once, without waiting for that location\'s writes', async () => {
    const owner = await ctx.newConnection();
    const other = await ctx.newConnection();
    const { locationId } = await ctx.newLocation(owner.id);
    // A write of the owner's in that location, in flight: it holds the location's shared mapping lock.
    const writer = new Client({ connectionString: ctx.databaseUrl });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      expect((await writer.query(`SELECT hold_mapping($1, $2::uuid) AS held`, [locationId, owner.id])).rows[0].held).toBe(true);
      let status: number | null = null;
      void ctx.admin.delete(`/admin/connections/${other.id}/locations/${locationId}`).then((r) => (status = r.status));
      const waitsForTheLock = async () => (await ctx.db.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`)).length > 0;
      // Answered while the owner's write is still open; before, it queued for the location's exclusive lock first.
      expect(await waitFor(async () => status ?? ((await waitsForTheLock()) ? 'waited for the lock' : null))).toBe(404);
    } finally {
      await writer.query('ROLLBACK').catch(() => undefined);
      await writer.end();
    }
    // The owner's mapping is untouched.
    expect((await ctx.admin.get(`/admin/connections/${owner.id}/locations`).expect(200)).body.items.map((m: { locationId: string }) => m.locationId)).toContain(locationId);
  });
});
