import type { LockmeReservation } from './lockme-api.client';
import { bookingStatus, effectiveTimeZone, isTruthyFlag, localDate, pickLocation, toBookingFields, toPeople, toPrice, toRoomResource } from './lockme.mapper';

const reservation = (over: Partial<LockmeReservation> = {}): LockmeReservation => ({
  reservationId: '555001', roomId: '12', date: '2026-12-05', hour: '18:30:00', people: 4, price: 180, status: 1,
  source: 'web', currency: null, fromDate: null, fromHour: null, ...over,
});

describe('lockme.mapper', () => {
  it('maps the fixture reservation: Warsaw wall time → UTC, confirmed, no currency', () => {
    expect(toBookingFields(reservation(), 'Europe/Warsaw')).toEqual({
      ok: true,
      booking: { startsAt: new Date('2026-12-05T17:30:00Z'), status: 'confirmed', people: 4, price: 180, currency: null },
    });
  });

  it('reads the time in the location zone, Warsaw when unknown or invalid', () => {
    const r = reservation({ date: '2026-07-01', hour: '10:00:00' });
    const start = (tz: string) => (toBookingFields(r, tz) as { booking: { startsAt: Date } }).booking.startsAt.toISOString();
    expect(start('Europe/London')).toBe('2026-07-01T09:00:00.000Z');
    expect(start('')).toBe('2026-07-01T08:00:00.000Z');
    expect(start('Not/AZone')).toBe('2026-07-01T08:00:00.000Z');
    expect(effectiveTimeZone(null)).toBe('Europe/Warsaw');
  });

  it('unpaid web hold (falsy status) is pending; PHP-ish flags are read as PHP would', () => {
    expect(bookingStatus({ status: 0 })).toBe('pending');
    expect(bookingStatus({ status: '0' })).toBe('pending');
    expect(bookingStatus({ status: '' })).toBe('pending');
    expect(bookingStatus({ status: null })).toBe('pending');
    expect(bookingStatus({ status: false })).toBe('pending');
    expect(bookingStatus({ status: 1 })).toBe('confirmed');
    expect(bookingStatus({ status: '1' })).toBe('confirmed');
    expect(bookingStatus({ status: true })).toBe('confirmed');
    expect(isTruthyFlag('false')).toBe(false);
    expect(isTruthyFlag(Number.NaN)).toBe(false);
    expect(isTruthyFlag({})).toBe(false);
  });

  it('status can be forced (delete of an unseen reservation → cancelled)', () => {
    const m = toBookingFields(reservation(), 'Europe/Warsaw', 'cancelled');
    expect(m.ok && m.booking.status).toBe('cancelled');
  });

  it('odd people/price values become null rather than garbage', () => {
    expect(toPeople('4')).toBe(4);
    expect(toPeople(-1)).toBeNull();
    expect(toPeople(2.5)).toBeNull();
    expect(toPeople('four')).toBeNull();
    expect(toPeople(null)).toBeNull();
    expect(toPrice('180.50')).toBe(180.5);
    expect(toPrice('99,99')).toBe(99.99);
    expect(toPrice(12.345)).toBe(12.35);
    expect(toPrice('')).toBeNull();
    expect(toPrice(Number.POSITIVE_INFINITY)).toBeNull();
    expect(toPrice(1e15)).toBeNull();
    expect(toPrice({ amount: 1 })).toBeNull();
  });

  it('keeps a currency only when Lockme states a valid code', () => {
    const m = toBookingFields(reservation({ currency: 'PLN' }), 'Europe/Warsaw');
    expect(m.ok && m.booking.currency).toBe('PLN');
    const bad = toBookingFields(reservation({ currency: 'zł' }), 'Europe/Warsaw');
    expect(bad.ok && bad.booking.currency).toBeNull();
  });

  it('refuses a reservation without a usable date/hour', () => {
    expect(toBookingFields(reservation({ date: null }), 'Europe/Warsaw')).toEqual({ ok: false, reason: 'reservation has no date/hour' });
    expect(toBookingFields(reservation({ hour: null }), 'Europe/Warsaw').ok).toBe(false);
    expect(toBookingFields(reservation({ date: '2026-02-30' }), 'Europe/Warsaw').ok).toBe(false);
  });

  it('picks the location by department, else the first mapping, else none', () => {
    const mappings = [{ locationId: 'krk', externalId: null }, { locationId: 'waw', externalId: '7' }];
    expect(pickLocation(mappings, '7')).toBe('waw');
    expect(pickLocation(mappings, '8')).toBe('krk');
    expect(pickLocation(mappings, null)).toBe('krk');
    expect(pickLocation([], '7')).toBeNull();
  });

  it('maps a room to a room resource', () => {
    expect(toRoomResource({ roomId: '12', name: 'Pharaoh tomb', department: '7' }, { id: 'r_1', locationId: 'krk', connectionId: 'c1' })).toEqual({
      id: 'r_1', locationId: 'krk', connectionId: 'c1', provider: 'lockme', externalId: '12', type: 'room', name: 'Pharaoh tomb',
      capacity: null, status: 'active', attributes: { department: '7' },
    });
    expect(toRoomResource({ roomId: '12', name: null, department: null }, { id: 'r_1', locationId: 'krk', connectionId: 'c1' }))
      .toMatchObject({ name: null, attributes: {} });
  });

  it('localDate counts days in the venue zone', () => {
    const lateEvening = new Date('2026-12-31T23:30:00Z'); // already 2027-01-01 in Warsaw
    expect(localDate(lateEvening, 'Europe/Warsaw')).toBe('2027-01-01');
    expect(localDate(lateEvening, 'UTC')).toBe('2026-12-31');
    expect(localDate(lateEvening, 'Europe/Warsaw', 31)).toBe('2027-02-01');
  });
});

describe('lockme.mapper: stored provider text is bounded', () => {
  const target = { id: 'r_1', locationId: 'krk', connectionId: 'c1' };

  it('a room name is trimmed, cleaned of NUL characters and cut to 500 characters without splitting a character', () => {
    expect(toRoomResource({ roomId: '12', name: `  ${'n'.repeat(900)} `, department: null }, target).name).toBe('n'.repeat(500));
    expect(toRoomResource({ roomId: '12', name: 'Pharaoh\u0000 tomb ', department: null }, target).name).toBe('Pharaoh tomb');
    expect(toRoomResource({ roomId: '12', name: '   ', department: null }, target).name).toBeNull();
    const name = toRoomResource({ roomId: '12', name: `x${'😀'.repeat(300)}`, department: null }, target).name!;
    expect(name.length).toBeLessThanOrEqual(500);
    expect(/[\uD800-\uDBFF]$/.test(name)).toBe(false);
  });

  it('the department kept in attributes is at most 200 characters', () => {
    const { attributes } = toRoomResource({ roomId: '12', name: 'Room', department: 'd'.repeat(5000) }, target);
    expect(attributes.department).toBe('d'.repeat(200));
    expect(toRoomResource({ roomId: '12', name: 'Room', department: '\u0000' }, target).attributes).toEqual({});
  });
});
