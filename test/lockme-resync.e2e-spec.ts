import { addMessage, LOCKME_PII, LockmeFake } from './fakes/lockme-fake.server';
import { startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

/** `Y-m-d` in Warsaw, `offset` days from today. */
function warsawDate(offset: number): string {
  const [y, m, d] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Warsaw', year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date()).split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + offset)).toISOString().slice(0, 10);
}

describe('lockme: resync (rooms, and reservations of the next RESYNC_DAYS days)', () => {
  let fake: LockmeFake;
  let ctx: TestContext;
  let messageId = 9000;

  beforeAll(async () => {
    fake = await LockmeFake.start();
    ctx = await startTestApp({ ...fake.env, RESYNC_DAYS: '3' });
  });
  afterAll(async () => {
    await ctx?.close();
    await fake?.close();
  });

  async function connection() {
    const c = await ctx.newConnection({ provider: 'lockme', externalId: undefined, credentials: fake.grant() });
    const location = await ctx.newLocation(c.id, { timezone: 'Europe/Warsaw' });
    return { id: c.id as string, path: new URL(c.webhookUrl).pathname, locationId: location.locationId as string };
  }

  async function settle(eventId: string, statuses = ['done', 'ignored', 'held', 'dead']) {
    return waitFor(async () => {
      const [row] = await ctx.db.query(`SELECT status, last_error, attempts FROM inbound_events WHERE id = $1`, [eventId]);
      return row && statuses.includes(row.status) ? row : null;
    }, 15000);
  }

  async function message(path: string, body: unknown) {
    const id = String(messageId++);
    fake.messages.set(id, body);
    const res = await ctx.http().post(path).set('X-MessageId', id).expect(202);
    expect((await settle(res.body.eventId)).status).toBe('done');
  }

  async function resync(connectionId: string) {
    const res = await ctx.admin.post(`/admin/connections/${connectionId}/resync`).expect(202);
    return settle(res.body.eventId);
  }

  const bookings = async (connectionId: string) => {
    const rows: Array<{ external_id: string; status: string; starts_at: Date; room: string }> = await ctx.db.query(
      `SELECT b.external_id, b.status, b.starts_at, r.external_id AS room FROM bookings b JOIN resources r ON r.id = b.resource_id
        WHERE b.connection_id = $1 ORDER BY b.external_id`, [connectionId]);
    return Object.fromEntries(rows.map((r) => [r.external_id, { status: r.status, start: new Date(r.starts_at).toISOString(), room: r.room }]));
  };

  it('upserts listed rooms and reservations, removes unlisted rooms, cancels unlisted bookings inside the window only', async () => {
    const c = await connection();
    fake.rooms = [{ roomid: 12, room: 'Pharaoh tomb', department: 3 }, { roomid: 14, room: 'Sherlock', department: 3 }];
    // Known before the resync: a booking Lockme has since deleted (missed message), one outside the window,
    // and a room Lockme no longer lists.
    await message(c.path, addMessage(8001, { date: warsawDate(1), hour: '18:00:00' }));
    await message(c.path, addMessage(8004, { date: warsawDate(10), hour: '18:00:00' }));
    await message(c.path, addMessage(8005, { date: warsawDate(10), hour: '18:00:00' }, 99));

    fake.reservations.set(`12/${warsawDate(0)}`, [{
      reservationid: 8002, roomid: 12, date: warsawDate(0), hour: '20:00:00', people: 2, price: '100.00', status: 1, source: 'panel',
      name: LOCKME_PII.name, surname: LOCKME_PII.surname, email: LOCKME_PII.email, phone: LOCKME_PII.phone,
    }]);
    fake.reservations.set(`14/${warsawDate(2)}`, [{ id: 8003, date: warsawDate(2), hour: '09:00:00', people: 5, price: 250, status: 0, source: 'web' }]);
    const reservationCalls = fake.callsOf('reservations').length;

    const row = await resync(c.id);
    expect(row).toMatchObject({ status: 'done', last_error: null });
    expect(fake.callsOf('reservations').length - reservationCalls).toBe(2 * 3);

    const resources = await ctx.db.query(`SELECT external_id, name, status, type, location_id FROM resources WHERE connection_id = $1 ORDER BY external_id`, [c.id]);
    expect(resources).toEqual([
      { external_id: '12', name: 'Pharaoh tomb', status: 'active', type: 'room', location_id: c.locationId },
      { external_id: '14', name: 'Sherlock', status: 'active', type: 'room', location_id: c.locationId },
      { external_id: '99', name: null, status: 'removed', type: 'room', location_id: c.locationId },
    ]);
    const warsawOffset = (date: string) => (new Date(`${date}T12:00:00Z`).toLocaleString('en-US', { timeZone: 'Europe/Warsaw', timeZoneName: 'short' }).includes('GMT+2') ? 2 : 1);
    const utc = (date: string, hour: number) => new Date(Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10), hour - warsawOffset(date))).toISOString();
    expect(await bookings(c.id)).toEqual({
      8001: { status: 'cancelled', start: utc(warsawDate(1), 18), room: '12' },
      8002: { status: 'confirmed', start: utc(warsawDate(0), 20), room: '12' },
      8003: { status: 'pending', start: utc(warsawDate(2), 9), room: '14' },
      8004: { status: 'confirmed', start: utc(warsawDate(10), 18), room: '12' },
      8005: { status: 'confirmed', start: utc(warsawDate(10), 18), room: '99' },
    });
    const texts: Array<{ t: string }> = await ctx.db.query(`SELECT row_to_json(b)::text AS t FROM bookings b WHERE connection_id = $1`, [c.id]);
    for (const { t } of texts) expect(t).not.toContain(LOCKME_PII.surname);

    // Run again: nothing changes (idempotent), updated_at included.
    const before = await ctx.db.query(`SELECT id, updated_at FROM bookings WHERE connection_id = $1 ORDER BY id`, [c.id]);
    expect((await resync(c.id)).status).toBe('done');
    expect(await ctx.db.query(`SELECT id, updated_at FROM bookings WHERE connection_id = $1 ORDER BY id`, [c.id])).toEqual(before);
  });

  it('without a reservations listing at Lockme (404) syncs rooms only and cancels nothing', async () => {
    const c = await connection();
    fake.rooms = [{ roomid: 21, room: 'Submarine', department: 4 }];
    await message(c.path, addMessage(8101, { date: warsawDate(1) }, 21));
    fake.reservationsEndpoint = false;
    try {
      expect((await resync(c.id)).status).toBe('done');
    } finally {
      fake.reservationsEndpoint = true;
    }
    expect((await bookings(c.id))['8101'].status).toBe('confirmed');
  });

  it('a room Lockme has no listing for cancels nothing there, while the next room is still synced', async () => {
    const c = await connection();
    fake.rooms = [{ roomid: 41, room: 'Vault', department: 6 }, { roomid: 42, room: 'Lab', department: 6 }];
    await message(c.path, addMessage(8301, { date: warsawDate(1) }, 41));
    await message(c.path, addMessage(8302, { date: warsawDate(1) }, 42));
    fake.reservations.set(`42/${warsawDate(2)}`, [{ reservationid: 8303, roomid: 42, date: warsawDate(2), hour: '18:00:00', status: 1 }]);
    fake.reservationsMissingFor.add('41');
    try {
      expect((await resync(c.id)).status).toBe('done');
    } finally {
      fake.reservationsMissingFor.delete('41');
    }
    const after = await bookings(c.id);
    expect(after['8301']).toMatchObject({ status: 'confirmed', room: '41' });
    expect(after['8302']).toMatchObject({ status: 'cancelled', room: '42' });
    expect(after['8303']).toMatchObject({ status: 'confirmed', room: '42' });
  });

  it('a listing in an unexpected shape stops the resync (dead, explained) instead of cancelling everything', async () => {
    const c = await connection();
    fake.rooms = [{ roomid: 31, room: 'Crypt', department: 5 }];
    await message(c.path, addMessage(8201, { date: warsawDate(0) }, 31));
    fake.reservations.set(`31/${warsawDate(0)}`, [{ booking: { ref: 'x' } }]);
    const row = await resync(c.id);
    expect(row.status).toBe('dead');
    expect(row.last_error).toMatch(/unexpected shape/);
    expect((await bookings(c.id))['8201'].status).toBe('confirmed');
  });

  it('is held while the connection has no location', async () => {
    const c = await ctx.newConnection({ provider: 'lockme', externalId: undefined, credentials: fake.grant() });
    const row = await resync(c.id);
    expect(row).toMatchObject({ status: 'held', last_error: 'no location mapped to this Lockme connection' });
  });
});
