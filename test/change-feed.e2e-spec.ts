import http from 'node:http';
import request from 'supertest';
import { Client } from 'pg';
import { AvailabilityRepository } from '../src/inventory/availability.repository';
import { BookingsRepository } from '../src/inventory/bookings.repository';
import { LocationsRepository } from '../src/inventory/locations.repository';
import { LosCell, LosRepository } from '../src/inventory/los.repository';
import { RatesRepository } from '../src/inventory/rates.repository';
import { ResourcesRepository, ResourceUpsert } from '../src/inventory/resources.repository';
import { ChangesRetentionService } from '../src/changes/changes-retention.service';
import { client, expectProblem, Json, newAccount, newKey, Recorder } from './support/accounts-fixtures';
import { ADMIN_TOKEN, READ_TOKEN, startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * CONTRACT.md section 10, the feed: every inventory write records its change in its own transaction (database
 * triggers), in commit order without gaps — a transaction that started earlier and commits later is never
 * stepped over — through GET /changes (paging, latest, wait) and GET /changes/stream (SSE, Last-Event-ID).
 */
describe('change feed (section 10)', () => {
  let ctx: TestContext;
  const rec = new Recorder();
  let connectionId: string;
  let n = 0;
  const others: Client[] = [];
  const as = (token: string) => client(ctx, rec, { bearer: token });
  const admin = () => as(ADMIN_TOKEN);

  beforeAll(async () => {
    ctx = await startTestApp({ WORKER: 'off' });
    connectionId = (await ctx.newConnection()).id;
  });
  afterAll(async () => {
    for (const c of others) await c.end().catch(() => undefined);
    await ctx.close();
  });

  async function otherClient(): Promise<Client> {
    const c = new Client({ connectionString: ctx.databaseUrl });
    await c.connect();
    others.push(c);
    return c;
  }

  const resource = (id: string, locationId: string, fields: Partial<ResourceUpsert> = {}): ResourceUpsert => ({
    id, locationId, connectionId, provider: 'syncaroo', externalId: id, type: 'meeting-room', name: id, capacity: 4, status: 'active', attributes: {}, ...fields,
  });

  async function newLocation(accountId?: string): Promise<string> {
    n += 1;
    const id = `cf-loc-${n}`;
    if (accountId) await admin().put(`/admin/accounts/${accountId}/locations/${id}`).send({ name: `Loc ${n}` }).expect(201);
    else await ctx.db.query(`INSERT INTO locations (id, name) VALUES ($1, $2)`, [id, `Loc ${n}`]);
    return id;
  }

  /** The location mapped to the test's connection, as a handler's writes need it (a row, no feed record of its own). */
  const mapTo = (loc: string) => ctx.db.query(`INSERT INTO location_mappings (location_id, connection_id) VALUES ($1, $2)`, [loc, connectionId]);

  async function head(token = ADMIN_TOKEN): Promise<string> {
    const res = await as(token).get('/changes?cursor=latest').expect(200);
    expect(res.body).toEqual({ items: [], nextCursor: expect.any(String) });
    return res.body.nextCursor;
  }

  /** Every item after `cursor`, following nextCursor until an empty page. */
  async function readAll(cursor: string, query = '', token = ADMIN_TOKEN, limit = 100): Promise<{ items: Json[]; cursor: string }> {
    const items: Json[] = [];
    for (;;) {
      const res = await as(token).get(`/changes?cursor=${cursor}&limit=${limit}${query}`).expect(200);
      expect(typeof res.body.nextCursor).toBe('string');
      items.push(...res.body.items);
      if (res.body.items.length === 0) return { items, cursor: res.body.nextCursor };
      cursor = res.body.nextCursor;
    }
  }

  const summary = (items: Json[]) => items.map((i) => `${i.type}:${i.op}:${i.entityId}`);

  it('records every change type once, with its location and resource, and nothing for a write that changes nothing', async () => {
    const from = await head();
    const loc = await newLocation();
    const resources = ctx.app.get(ResourcesRepository);
    await resources.upsertMany([resource('cf-r1', loc)]);
    await resources.upsertMany([resource('cf-r1', loc)]); // identical: no change
    await resources.upsertMany([resource('cf-r1', loc, { capacity: 8 })]);
    const bookings = ctx.app.get(BookingsRepository);
    const b = { resourceId: 'cf-r1', connectionId, provider: 'syncaroo', externalId: 'cf-b1', startsAt: new Date('2027-01-01T10:00:00Z'), endsAt: new Date('2027-01-01T11:00:00Z'), status: 'confirmed' as const, people: 2, price: 10, currency: 'EUR' };
    const { id: bookingId } = await bookings.upsert(b);
    await bookings.upsert(b); // identical
    await bookings.cancel('syncaroo', connectionId, 'cf-b1');
    await bookings.cancel('syncaroo', connectionId, 'cf-b1'); // already cancelled
    const windows = [{ start: new Date('2027-01-02T08:00:00Z'), end: new Date('2027-01-02T12:00:00Z') }];
    const availability = ctx.app.get(AvailabilityRepository);
    await availability.replaceForResource('cf-r1', connectionId, windows);
    await availability.replaceForResource('cf-r1', connectionId, windows); // identical
    const rates = ctx.app.get(RatesRepository);
    // A rate is written only while its resource's location is mapped to the connection.
    await mapTo(loc);
    const owner = { provider: 'syncaroo', connectionId, resourceId: 'cf-r1' };
    const rate = { externalId: 'cf-rate', name: 'Hourly', price: 25, currency: 'EUR', unit: 'hour' as const };
    await rates.upsert(owner, rate);
    await rates.upsert(owner, rate); // identical
    await rates.remove('syncaroo', connectionId, 'cf-rate');
    await ctx.db.query(`UPDATE resources SET name = name, updated_at = now() WHERE id = 'cf-r1'`); // nothing visible changed
    await resources.markRemoved(['cf-r1']);

    const { items } = await readAll(from);
    expect(summary(items)).toEqual([
      `location:upsert:${loc}`,
      'resource:upsert:cf-r1', 'resource:upsert:cf-r1',
      `booking:upsert:${bookingId}`, `booking:upsert:${bookingId}`,
      'availability:upsert:cf-r1',
      'rate:upsert:cf-rate', 'rate:delete:cf-rate',
      'resource:delete:cf-r1',
    ]);
    for (const item of items) {
      expect(item).toEqual({
        id: expect.stringMatching(/^\d+$/), type: item.type, op: item.op, locationId: loc, resourceId: item.type === 'location' ? null : 'cf-r1',
        entityId: item.entityId, changedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/), data: null,
      });
    }
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
  });

  it('a resource moved to a location of another account takes that account; rewritten in place it does not look its location up again', async () => {
    const [a, b] = [(await admin().post('/admin/accounts').send({ name: 'Move A' }).expect(201)).body.id, (await admin().post('/admin/accounts').send({ name: 'Move B' }).expect(201)).body.id];
    const [locA, locB] = [await newLocation(a), await newLocation(b)];
    const resources = ctx.app.get(ResourcesRepository);
    const accountOf = async () => (await ctx.db.query(`SELECT account_id FROM resources WHERE id = 'cf-moving'`))[0].account_id;
    await resources.upsertMany([resource('cf-moving', locA)]);
    expect(await accountOf()).toBe(a);
    await resources.upsertMany([resource('cf-moving', locB)]);
    expect(await accountOf()).toBe(b);
    // Rewritten in the same location: the proposed row's account is looked up (the INSERT's trigger), the update's is not.
    const qr = ctx.db.createQueryRunner();
    await qr.connect();
    const lookups = async () => Number((await qr.query(`SELECT COALESCE(sum(idx_scan), 0) AS n FROM pg_stat_xact_user_tables WHERE relname = 'locations'`))[0].n);
    try {
      await qr.startTransaction();
      const before = await lookups();
      await resources.upsertMany([resource('cf-moving', locB, { capacity: 9 })], qr.manager);
      const after = await lookups();
      await qr.commitTransaction();
      expect(after - before).toBe(1);
    } finally {
      await qr.release();
    }
    expect(await accountOf()).toBe(b);
  });

  it('a rate or a booking moved to another resource records a delete on the old resource before the upsert on the new one', async () => {
    const loc = await newLocation();
    await ctx.app.get(ResourcesRepository).upsertMany([resource('cf-mv-a', loc), resource('cf-mv-b', loc)]);
    const rates = ctx.app.get(RatesRepository);
    await mapTo(loc);
    const rate = { externalId: 'cf-mv-rate', name: 'Day', price: 90, currency: 'EUR', unit: 'day' as const };
    expect(await rates.upsert({ provider: 'syncaroo', connectionId, resourceId: 'cf-mv-a' }, rate)).toBe(true);
    const bookings = ctx.app.get(BookingsRepository);
    const b = { resourceId: 'cf-mv-a', connectionId, provider: 'syncaroo', externalId: 'cf-mv-b1', startsAt: new Date('2027-02-01T10:00:00Z'), endsAt: new Date('2027-02-01T11:00:00Z'), status: 'confirmed' as const, people: 1, price: 5, currency: 'EUR' };
    const { id: bookingId } = await bookings.upsert(b);
    const from = await head();
    await rates.upsert({ provider: 'syncaroo', connectionId, resourceId: 'cf-mv-b' }, rate);
    await bookings.upsert({ ...b, resourceId: 'cf-mv-b' });
    const { items } = await readAll(from);
    expect(items.map((i) => `${i.type}:${i.op}:${i.resourceId}:${i.entityId}`)).toEqual([
      'rate:delete:cf-mv-a:cf-mv-rate', 'rate:upsert:cf-mv-b:cf-mv-rate',
      `booking:delete:cf-mv-a:${bookingId}`, `booking:upsert:cf-mv-b:${bookingId}`,
    ]);
  });

  it('a location written again unchanged (by its provider, or claimed again by its account) records nothing and keeps updatedAt', async () => {
    const a = await newAccount(ctx, rec);
    const from = await head();
    const locations = ctx.app.get(LocationsRepository);
    const owner = { provider: 'syncaroo', connectionId, externalId: 'cf-x1' };
    await ctx.db.transaction((m) => locations.upsertOwned('cf-owned', owner, { name: 'Owned' }, m));
    const [before] = await ctx.db.query(`SELECT updated_at FROM locations WHERE id = 'cf-owned'`);
    await ctx.db.transaction((m) => locations.upsertOwned('cf-owned', owner, { name: 'Owned' }, m));
    await ctx.db.transaction((m) => locations.upsertOwned('cf-owned', owner, {}, m));
    expect((await ctx.db.query(`SELECT updated_at FROM locations WHERE id = 'cf-owned'`))[0].updated_at).toEqual(before.updated_at);
    await admin().put(`/admin/accounts/${a.id}/locations/cf-claimed`).send({ name: 'Claimed' }).expect(201);
    const [claimed] = await ctx.db.query(`SELECT updated_at FROM locations WHERE id = 'cf-claimed'`);
    await admin().put(`/admin/accounts/${a.id}/locations/cf-claimed`).send({ name: 'Claimed' }).expect(200);
    await admin().put(`/admin/accounts/${a.id}/locations/cf-claimed`).send({}).expect(200);
    expect((await ctx.db.query(`SELECT updated_at FROM locations WHERE id = 'cf-claimed'`))[0].updated_at).toEqual(claimed.updated_at);
    expect(summary((await readAll(from)).items)).toEqual(['location:upsert:cf-owned', 'location:upsert:cf-claimed']);
    // A real change still records and moves updatedAt.
    await ctx.db.transaction((m) => locations.upsertOwned('cf-owned', owner, { name: 'Renamed' }, m));
    expect((await ctx.db.query(`SELECT updated_at FROM locations WHERE id = 'cf-owned'`))[0].updated_at).not.toEqual(before.updated_at);
    expect(summary((await readAll(from)).items)).toEqual(['location:upsert:cf-owned', 'location:upsert:cf-claimed', 'location:upsert:cf-owned']);
  });

  it('a LOS dataset is one item per resource and channel with its arrival range; a partial names only its cells', async () => {
    const loc = await newLocation();
    await ctx.app.get(ResourcesRepository).upsertMany([resource('cf-los-a', loc, { type: 'accommodation' }), resource('cf-los-b', loc, { type: 'accommodation' })]);
    const from = await head();
    const los = ctx.app.get(LosRepository);
    const cells: LosCell[] = [];
    for (const r of ['cf-los-a', 'cf-los-b']) {
      for (let d = 0; d < 120; d++) {
        for (let l = 1; l <= 14; l++) {
          const day = new Date(Date.UTC(2027, 3, 1 + d)).toISOString().slice(0, 10);
          cells.push({ resourceId: r, arrivalDate: day, lengthOfStay: l, unitsAvailable: 2, price: 100 + l });
        }
      }
    }
    // 3,360 cells in one transaction, written in statements of up to 10,000 rows.
    await ctx.db.transaction((m) => los.replaceDataset(m, { locationId: loc, channel: 'web', connectionId, datasetKey: 'k1', currency: 'EUR' }, cells));
    let read = await readAll(from);
    expect(read.items.map((i) => [i.type, i.op, i.resourceId, i.data])).toEqual([
      ['los', 'upsert', 'cf-los-a', { channel: 'web', arrivalFrom: '2027-04-01', arrivalTo: '2027-07-29' }],
      ['los', 'upsert', 'cf-los-b', { channel: 'web', arrivalFrom: '2027-04-01', arrivalTo: '2027-07-29' }],
    ]);
    // A partial: two cells of one resource change; the third is already so (no item for an unchanged write).
    await ctx.db.transaction((m) => los.patchUnits(m, { locationId: loc, channel: 'web', connectionId }, [
      { resourceId: 'cf-los-b', arrivalDate: '2027-05-03', lengthOfStay: 2, unitsAvailable: 0 },
      { resourceId: 'cf-los-b', arrivalDate: '2027-05-09', lengthOfStay: 3, unitsAvailable: 0 },
    ]));
    await ctx.db.transaction((m) => los.patchUnits(m, { locationId: loc, channel: 'web', connectionId }, [
      { resourceId: 'cf-los-a', arrivalDate: '2027-05-03', lengthOfStay: 2, unitsAvailable: 2 },
    ]));
    read = await readAll(read.cursor);
    expect(read.items.map((i) => [i.op, i.resourceId, i.data])).toEqual([
      ['upsert', 'cf-los-b', { channel: 'web', arrivalFrom: '2027-05-03', arrivalTo: '2027-05-09' }],
    ]);
    // Every cell of the dataset changes currency (one UPDATE of its days): one upsert per resource, no delete.
    await ctx.db.query(`UPDATE los_days SET currency = 'USD' WHERE location_id = $1`, [loc]);
    read = await readAll(read.cursor);
    expect(read.items.map((i) => [i.op, i.resourceId])).toEqual([['upsert', 'cf-los-a'], ['upsert', 'cf-los-b']]);
    // The next dataset lists only product a: b's cells are deleted.
    await ctx.db.transaction((m) => los.replaceDataset(m, { locationId: loc, channel: 'web', connectionId, datasetKey: 'k2', currency: 'EUR' },
      cells.filter((c) => c.resourceId === 'cf-los-a' && c.arrivalDate < '2027-05-01')));
    read = await readAll(read.cursor);
    expect(read.items.map((i) => [i.op, i.resourceId, i.data])).toEqual([
      ['upsert', 'cf-los-a', { channel: 'web', arrivalFrom: '2027-04-01', arrivalTo: '2027-07-29' }],
      ['delete', 'cf-los-b', { channel: 'web', arrivalFrom: '2027-04-01', arrivalTo: '2027-07-29' }],
    ]);
  });

  it('never skips a transaction that started first and commits last: B is held back until A commits, then A comes before B', async () => {
    const loc = await newLocation();
    await ctx.app.get(ResourcesRepository).upsertMany([resource('cf-a', loc), resource('cf-b', loc)]);
    const from = await head();
    const a = await otherClient();
    const b = await otherClient();
    await a.query('BEGIN');
    await a.query(`UPDATE resources SET name = 'A' WHERE id = 'cf-a'`); // A's id is assigned here
    await b.query('BEGIN');
    await b.query(`UPDATE resources SET name = 'B' WHERE id = 'cf-b'`);
    await b.query('COMMIT');
    // B is committed and A is not: the feed hands out neither yet, and its cursor stays behind A.
    const early = await as(ADMIN_TOKEN).get(`/changes?cursor=${from}`).expect(200);
    expect(early.body.items).toEqual([]);
    await a.query('COMMIT');
    const { items } = await readAll(early.body.nextCursor);
    expect(summary(items)).toEqual(['resource:upsert:cf-a', 'resource:upsert:cf-b']);
  });

  it('pages by limit; an empty page keeps a cursor that continues; passing a cursor twice gives the same page', async () => {
    const loc = await newLocation();
    const from = await head();
    for (let i = 0; i < 5; i++) await ctx.app.get(ResourcesRepository).upsertMany([resource(`cf-p${i}`, loc)]);
    const p1 = (await admin().get(`/changes?cursor=${from}&limit=2&types=resource`).expect(200)).body;
    expect(summary(p1.items)).toEqual(['resource:upsert:cf-p0', 'resource:upsert:cf-p1']);
    const again = (await admin().get(`/changes?cursor=${from}&limit=2&types=resource`).expect(200)).body;
    expect(again).toEqual(p1);
    const rest = await readAll(p1.nextCursor, '&types=resource', ADMIN_TOKEN, 2);
    expect(summary(rest.items)).toEqual(['resource:upsert:cf-p2', 'resource:upsert:cf-p3', 'resource:upsert:cf-p4']);
    // The end: an empty page, and its cursor picks up the next change.
    await ctx.app.get(ResourcesRepository).upsertMany([resource('cf-p5', loc)]);
    expect(summary((await readAll(rest.cursor, '&types=resource')).items)).toEqual(['resource:upsert:cf-p5']);
  });

  it('no cursor starts from the oldest retained change; filters by types and locationId', async () => {
    const all = (await admin().get('/changes?limit=1000').expect(200)).body.items;
    expect(all.length).toBeGreaterThan(5);
    expect(all[0].id).toBe((await ctx.db.query(`SELECT seq::text AS id FROM changes ORDER BY xid, seq LIMIT 1`))[0].id);
    const loc = await newLocation();
    const other = await newLocation();
    const from = await head();
    await ctx.app.get(ResourcesRepository).upsertMany([resource('cf-f1', loc), resource('cf-f2', other)]);
    expect(summary((await readAll(from, `&locationId=${loc}`)).items)).toEqual(['resource:upsert:cf-f1']);
    expect(summary((await readAll(from, '&types=booking,rate')).items)).toEqual([]);
    expect(summary((await readAll(from, '&types=location,resource')).items)).toEqual(['resource:upsert:cf-f1', 'resource:upsert:cf-f2']);
  });

  it('wait: an answer waits for the next change; with nothing new it ends with an empty page', async () => {
    const loc = await newLocation();
    const from = await head();
    const pending = admin().get(`/changes?cursor=${from}&wait=20&types=resource`).then((r) => r);
    // Let the long poll start waiting, then commit a change.
    await new Promise((r) => setTimeout(r, 300));
    await ctx.app.get(ResourcesRepository).upsertMany([resource('cf-w1', loc)]);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(summary(res.body.items)).toEqual(['resource:upsert:cf-w1']);
    const idle = await admin().get(`/changes?cursor=${res.body.nextCursor}&wait=1`).expect(200);
    expect(idle.body.items).toEqual([]);
    expect(idle.body.nextCursor).toEqual(expect.any(String));
    // latest with wait: from the head, the next change.
    const latest = admin().get(`/changes?cursor=latest&wait=20`).then((r) => r);
    await new Promise((r) => setTimeout(r, 300));
    await ctx.app.get(ResourcesRepository).upsertMany([resource('cf-w2', loc)]);
    expect(summary((await latest).body.items)).toEqual(['resource:upsert:cf-w2']);
  });

  it('SSE: events carry the cursor after them as id; Last-Event-ID resumes after it', async () => {
    const loc = await newLocation();
    const from = await head();
    const stream = openStream(`/changes/stream?cursor=${from}&types=resource`);
    await stream.opened;
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    await ctx.app.get(ResourcesRepository).upsertMany([resource('cf-s1', loc)]);
    await ctx.app.get(ResourcesRepository).upsertMany([resource('cf-s2', loc)]);
    const events = await waitFor(async () => stream.events.length >= 2 && stream.events);
    stream.close();
    expect(events.map((e) => [e.event, JSON.parse(e.data).entityId])).toEqual([['change', 'cf-s1'], ['change', 'cf-s2']]);
    expect(stream.raw.startsWith(':')).toBe(true); // a comment line first
    // The id of the first event is a cursor: the feed after it holds the second.
    expect(summary((await readAll(events[0].id, '&types=resource')).items)).toEqual(['resource:upsert:cf-s2']);
    const resumed = openStream(`/changes/stream?types=resource`, { 'Last-Event-ID': events[0].id });
    const again = await waitFor(async () => resumed.events.length >= 1 && resumed.events);
    await new Promise((r) => setTimeout(r, 300));
    resumed.close();
    expect(again.map((e) => JSON.parse(e.data).entityId)).toEqual(['cf-s2']);
  });

  it('shutting down ends open streams and long-polls (the HTTP server would otherwise wait for them)', async () => {
    const second = await startTestApp({ WORKER: 'off' }, { shareDatabaseWith: ctx });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(new URL('/changes/stream?cursor=latest', second.baseUrl), { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }, resolve).on('error', reject);
    });
    expect(res.statusCode).toBe(200);
    const ended = new Promise<string>((resolve) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
      res.on('close', () => resolve(text));
    });
    const poll = request(second.app.getHttpServer()).get('/changes?cursor=latest&wait=30').set('Authorization', `Bearer ${ADMIN_TOKEN}`).then((r) => r, (e) => e);
    await new Promise((r) => setTimeout(r, 300));
    await second.app.close();
    expect(await ended).toMatch(/^: /);
    const answered = await poll;
    expect(answered.status).toBe(200);
    expect(answered.body.items).toEqual([]);
  });

  it('an account key sees its own account\'s changes only; a listing that changes account leaves the old one with a delete', async () => {
    const a = await newAccount(ctx, rec);
    const b = await newAccount(ctx, rec);
    const keyA = (await newKey(ctx, rec, { scopes: ['changes:read'], accountId: a.id })).key;
    const keyB = (await newKey(ctx, rec, { scopes: ['changes:read'], accountId: b.id })).key;
    const fromA = await head(keyA);
    const fromB = await head(keyB);
    const fromAll = await head();
    const locA = await newLocation(a.id);
    const locB = await newLocation(b.id);
    await ctx.app.get(ResourcesRepository).upsertMany([resource('cf-ra', locA), resource('cf-rb', locB)]);
    expect(summary((await readAll(fromA, '', keyA)).items)).toEqual([`location:upsert:${locA}`, 'resource:upsert:cf-ra']);
    expect(summary((await readAll(fromB, '', keyB)).items)).toEqual([`location:upsert:${locB}`, 'resource:upsert:cf-rb']);
    expect(summary((await readAll(fromAll)).items)).toEqual([`location:upsert:${locA}`, `location:upsert:${locB}`, 'resource:upsert:cf-ra', 'resource:upsert:cf-rb']);
    // Released (not mapped), then claimed by B: A is told the listing and what is in it went; B gets both, the
    // listing first; the resource follows the account.
    const a2 = await head(keyA);
    const b2 = await head(keyB);
    await admin().delete(`/admin/accounts/${a.id}/locations/${locA}`).expect(204);
    await admin().put(`/admin/accounts/${b.id}/locations/${locA}`).send({}).expect(200);
    expect(summary((await readAll(a2, '', keyA)).items)).toEqual([`location:delete:${locA}`, 'resource:delete:cf-ra']);
    expect(summary((await readAll(b2, '', keyB)).items)).toEqual([`location:upsert:${locA}`, 'resource:upsert:cf-ra']);
    const [row] = await ctx.db.query(`SELECT account_id FROM resources WHERE id = 'cf-ra'`);
    expect(row.account_id).toBe(b.id);
    // B's later change of it reaches B only: A keeps the delete it was told.
    await ctx.app.get(ResourcesRepository).upsertMany([resource('cf-ra', locA, { capacity: 9 })]);
    expect(summary((await readAll(a2, '', keyA)).items).filter((x) => x.endsWith(':cf-ra'))).toEqual(['resource:delete:cf-ra']);
    expect(summary((await readAll(b2, '&types=resource', keyB)).items)).toEqual(['resource:upsert:cf-ra', 'resource:upsert:cf-ra']);
    // The read token holds changes:read for every account; a key without it is 403.
    expect((await as(READ_TOKEN).get(`/changes?cursor=${fromAll}&limit=1000`).expect(200)).body.items.length).toBeGreaterThan(3);
    const inventoryOnly = (await newKey(ctx, rec, { scopes: ['inventory:read'], accountId: a.id })).key;
    expectProblem(await as(inventoryOnly).get('/changes'), 403);
    expectProblem(await client(ctx, rec, null).get('/changes'), 401);
  });

  it('LOS rows written by the dataset writer and by partials carry their listing\'s account: the account-only list and feed show them', async () => {
    const a = await newAccount(ctx, rec);
    const key = (await newKey(ctx, rec, { scopes: ['inventory:read', 'changes:read'], accountId: a.id })).key;
    const loc = await newLocation(a.id);
    await ctx.app.get(ResourcesRepository).upsertMany([resource('cf-acc-los', loc, { type: 'accommodation' })]);
    const from = await head(key);
    const los = ctx.app.get(LosRepository);
    const target = { locationId: loc, channel: 'web', connectionId };
    await ctx.db.transaction((m) => los.replaceDataset(m, { ...target, datasetKey: 'ka', currency: 'EUR' }, [
      { resourceId: 'cf-acc-los', arrivalDate: '2027-06-01', lengthOfStay: 2, unitsAvailable: 1, price: 90 },
      { resourceId: 'cf-acc-los', arrivalDate: '2027-06-02', lengthOfStay: 2, unitsAvailable: 1, price: 90 },
    ]));
    // A partial naming a cell the dataset did not have inserts it (without a price).
    await ctx.db.transaction((m) => los.patchUnits(m, target, [{ resourceId: 'cf-acc-los', arrivalDate: '2027-06-03', lengthOfStay: 2, unitsAvailable: 4 }]));
    expect(await ctx.db.query(`SELECT account_id FROM los_rows WHERE resource_id = 'cf-acc-los' ORDER BY arrival_date`))
      .toEqual([{ account_id: a.id }, { account_id: a.id }, { account_id: a.id }]);
    // The other two write paths: INSERT … unnest (mode 'insert'), and the upsert of a product listed twice; then
    // the first dataset again, so the list below shows it.
    await ctx.db.transaction(async (m) => {
      const w = await los.openDataset(m, { ...target, datasetKey: 'kb', currency: 'EUR' }, 'insert');
      await w.add({ resourceId: 'cf-acc-los', arrivalDates: ['2027-07-01'], lengthsOfStay: [3], units: [2], prices: [120] });
      await w.add({ resourceId: 'cf-acc-los', arrivalDates: ['2027-07-01', '2027-07-02'], lengthsOfStay: [3, 3], units: [5, 5], prices: [130, 130] }, true);
      await w.finish();
    });
    expect(await ctx.db.query(`SELECT to_char(arrival_date, 'YYYY-MM-DD') AS d, units_available AS u, account_id FROM los_rows WHERE resource_id = 'cf-acc-los' ORDER BY arrival_date`))
      .toEqual([{ d: '2027-07-01', u: 5, account_id: a.id }, { d: '2027-07-02', u: 5, account_id: a.id }]);
    await ctx.db.transaction((m) => los.replaceDataset(m, { ...target, datasetKey: 'kc', currency: 'EUR' }, [
      { resourceId: 'cf-acc-los', arrivalDate: '2027-06-01', lengthOfStay: 2, unitsAvailable: 1, price: 90 },
      { resourceId: 'cf-acc-los', arrivalDate: '2027-06-02', lengthOfStay: 2, unitsAvailable: 1, price: 90 },
    ]));
    await ctx.db.transaction((m) => los.patchUnits(m, target, [{ resourceId: 'cf-acc-los', arrivalDate: '2027-06-03', lengthOfStay: 2, unitsAvailable: 4 }]));
    const listed = (await as(key).get('/los?limit=500').expect(200)).body.items;
    expect(listed.map((c: Json) => c.arrivalDate)).toEqual(['2027-06-01', '2027-06-02', '2027-06-03']);
    expect((await readAll(from, '&types=los', key)).items.map((i) => [i.resourceId, i.data])).toEqual([
      ['cf-acc-los', { channel: 'web', arrivalFrom: '2027-06-01', arrivalTo: '2027-06-02' }],
      ['cf-acc-los', { channel: 'web', arrivalFrom: '2027-06-03', arrivalTo: '2027-06-03' }],
      ['cf-acc-los', { channel: 'web', arrivalFrom: '2027-06-01', arrivalTo: '2027-07-02' }],
      ['cf-acc-los', { channel: 'web', arrivalFrom: '2027-06-01', arrivalTo: '2027-07-02' }],
      ['cf-acc-los', { channel: 'web', arrivalFrom: '2027-06-03', arrivalTo: '2027-06-03' }],
    ]);
  });

  it('a cursor older than retention is 410 problem+json; the oldest retained is where no cursor starts', async () => {
    const loc = await newLocation();
    const old = await head();
    await ctx.app.get(ResourcesRepository).upsertMany([resource('cf-old', loc)]);
    const past = (await readAll(old)).cursor;
    await ctx.db.query(`UPDATE changes SET changed_at = now() - interval '30 days'`);
    await ctx.app.get(ResourcesRepository).upsertMany([resource('cf-new', loc)]);
    const deleted = await ctx.app.get(ChangesRetentionService).prune();
    expect(deleted).toBeGreaterThan(0);
    expect(Number((await ctx.db.query(`SELECT count(*) AS n FROM changes WHERE changed_at < now() - interval '7 days'`))[0].n)).toBe(0);
    const gone = await admin().get(`/changes?cursor=${old}`);
    expectProblem(gone, 410);
    expect(gone.body.detail).toMatch(/retain/);
    const stream = await admin().get(`/changes/stream`).set('Last-Event-ID', old);
    expectProblem(stream, 410);
    // The newest pruned position is still a valid cursor, and no cursor starts there.
    expect(summary((await readAll(past)).items)).toEqual(['resource:upsert:cf-new']);
    expect(summary((await admin().get('/changes').expect(200)).body.items)).toEqual(['resource:upsert:cf-new']);
  });

  it('retention runs in one process at a time: while another session holds its advisory lock it deletes nothing; then it runs', async () => {
    const loc = await newLocation();
    await ctx.app.get(ResourcesRepository).upsertMany([resource('cf-locked-old', loc)]);
    await ctx.db.query(`UPDATE changes SET changed_at = now() - interval '30 days'`);
    await ctx.app.get(ResourcesRepository).upsertMany([resource('cf-locked-new', loc)]);
    const oldChanges = async () => Number((await ctx.db.query(`SELECT count(*) AS n FROM changes WHERE changed_at < now() - interval '7 days'`))[0].n);
    const horizon = async () => (await ctx.db.query(`SELECT pruned_xid::text, pruned_seq::text FROM changes_horizon WHERE id = 1`))[0];
    const before = { old: await oldChanges(), horizon: await horizon() };
    expect(before.old).toBeGreaterThan(0);
    // Another process at it: the same lock the server's housekeeping takes (hashtext of 'inventory-sync:<job>').
    const other = await otherClient();
    await other.query(`SELECT pg_advisory_lock(hashtext('inventory-sync:changes-retention'))`);
    const retention = ctx.app.get(ChangesRetentionService);
    expect(await retention.prune()).toBe(0);
    expect({ old: await oldChanges(), horizon: await horizon() }).toEqual(before);
    await other.query(`SELECT pg_advisory_unlock(hashtext('inventory-sync:changes-retention'))`);
    expect(await retention.prune()).toBe(before.old);
    expect(await oldChanges()).toBe(0);
    expect(summary((await admin().get('/changes').expect(200)).body.items)).toEqual(['resource:upsert:cf-locked-new']);
  });

  it.each([
    ['types=bogus', 'types'], ['types=resource,', 'types'], ['limit=0', 'limit'], ['limit=1001', 'limit'], ['wait=31', 'wait'], ['wait=-1', 'wait'],
    ['cursor=nope!', 'cursor'], [`cursor=${Buffer.from('f1.1.x').toString('base64url')}`, 'cursor'], [`cursor=${Buffer.from('f1.99999999999999999999.1').toString('base64url')}`, 'cursor'],
    ['locationId=%20', 'locationId'],
  ])('GET /changes?%s → 400 naming %s', async (query, field) => {
    expectProblem(await admin().get(`/changes?${query}`), 400, field);
  });

  it('a forged Last-Event-ID is 400 before any stream starts', async () => {
    expectProblem(await admin().get('/changes/stream').set('Last-Event-ID', 'garbage!'), 400, 'Last-Event-ID');
  });

  /** A raw SSE client: collects `id`/`event`/`data` blocks as they arrive. */
  function openStream(path: string, headers: Record<string, string> = {}) {
    const state = {
      status: 0, contentType: '', raw: '', events: [] as Array<{ id: string; event: string; data: string }>,
      opened: null as unknown as Promise<void>, close: () => undefined as void,
    };
    let buffer = '';
    const url = new URL(path, ctx.baseUrl);
    state.opened = new Promise<void>((resolve, reject) => {
      const req = http.get(url, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...headers } }, (res) => {
        state.status = res.statusCode ?? 0;
        state.contentType = String(res.headers['content-type'] ?? '');
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          state.raw += chunk;
          buffer += chunk;
          let i;
          while ((i = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, i);
            buffer = buffer.slice(i + 2);
            const fields: Record<string, string> = {};
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) continue;
              const c = line.indexOf(':');
              fields[line.slice(0, c)] = line.slice(c + 1).replace(/^ /, '');
            }
            if (fields.event) state.events.push({ id: fields.id, event: fields.event, data: fields.data });
          }
        });
        res.on('error', () => undefined);
        resolve();
      });
      req.on('error', reject);
      state.close = () => void req.destroy();
    });
    return state;
  }

});
