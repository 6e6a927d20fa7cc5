import {
  mapResourceType, toAttributes, toBookingStatus, toBookingUpsert, toCount, toCurrency, toInstant, toLocationDetails, toPrice,
  toResourceUpsert, toWindows,
} from './syncaroo.mapper';

describe('syncaroo.mapper', () => {
  describe('mapResourceType', () => {
    it.each([
      ['meeting-room', 'meeting-room'], ['hot-desk', 'hot-desk'], ['fixed-desk', 'fixed-desk'], ['dedicated-desk', 'fixed-desk'],
      ['Dedicated Desk', 'fixed-desk'], ['dedicated_desk', 'fixed-desk'], ['office', 'office'], [' Office ', 'office'],
      ['private-office', 'office'], ['floor', 'floor'],
    ])('%p → %p', (raw, type) => expect(mapResourceType(raw)).toBe(type));

    it.each([['parking'], [''], [null], [undefined], [7], [{}], ['room']])('%p → null (not synced)', (raw) => {
      expect(mapResourceType(raw)).toBeNull();
    });
  });

  it('toCount keeps whole non-negative numbers only', () => {
    expect(toCount(12)).toBe(12);
    expect(toCount('8')).toBe(8);
    expect(toCount(0)).toBe(0);
    for (const odd of [-1, 2.5, 'ten', '', null, undefined, NaN, Infinity, 1e12, {}, '1e3']) expect(toCount(odd)).toBeNull();
  });

  it('toAttributes drops null/undefined members and records the Syncaroo id', () => {
    expect(toAttributes({ description: 'Big table', units: null, size: undefined, bookable: false, rates: [{ price: 25 }] }, 'sid'))
      .toEqual({ description: 'Big table', bookable: false, rates: [{ price: 25 }], syncarooId: 'sid' });
  });

  describe('toResourceUpsert', () => {
    const target = { id: 'r_1', locationId: '11980', connectionId: 'c-1', externalId: 'sid', type: 'meeting-room' as const };

    it('maps a full resource', () => {
      expect(toResourceUpsert(target, {
        id: 'sid', name: '  Board Room ', type: 'meeting-room', capacity: 12,
        details: { description: 'Big table', units: 1, size: 30, bookable: true, availableFrom: '2021-08-01', rates: [{ period: 'hour', price: 25 }] },
      })).toEqual({
        id: 'r_1', locationId: '11980', connectionId: 'c-1', provider: 'syncaroo', externalId: 'sid', type: 'meeting-room',
        name: 'Board Room', capacity: 12, status: 'active',
        attributes: { description: 'Big table', units: 1, size: 30, bookable: true, availableFrom: '2021-08-01', rates: [{ period: 'hour', price: 25 }], syncarooId: 'sid' },
      });
    });

    it('maps an empty resource without inventing values', () => {
      const row = toResourceUpsert(target, { id: null, name: null, type: undefined, capacity: 'lots', details: {} });
      expect(row).toMatchObject({ name: null, capacity: null, status: 'active', attributes: { syncarooId: 'sid' } });
    });

    it('caps long names and ignores non-string names', () => {
      expect(toResourceUpsert(target, { id: null, name: 'x'.repeat(600), type: null, capacity: null, details: {} }).name).toHaveLength(500);
      expect(toResourceUpsert(target, { id: null, name: 42, type: null, capacity: null, details: {} }).name).toBeNull();
      expect(toResourceUpsert(target, { id: null, name: '   ', type: null, capacity: null, details: {} }).name).toBeNull();
    });
  });

  describe('toInstant', () => {
    it('reads ISO 8601 with offset, without offset as UTC, dates, and epoch milliseconds', () => {
      expect(toInstant('2021-12-21T22:00:00+01:00')?.toISOString()).toBe('2021-12-21T21:00:00.000Z');
      expect(toInstant('2021-12-21T22:00:00Z')?.toISOString()).toBe('2021-12-21T22:00:00.000Z');
      expect(toInstant('2021-12-21T22:00:00')?.toISOString()).toBe('2021-12-21T22:00:00.000Z');
      expect(toInstant('2021-12-21 22:00:00')?.toISOString()).toBe('2021-12-21T22:00:00.000Z');
      expect(toInstant('2021-12-21')?.toISOString()).toBe('2021-12-21T00:00:00.000Z');
      expect(toInstant(1640124000000)?.toISOString()).toBe('2021-12-21T22:00:00.000Z');
    });

    it.each([[null], [undefined], [''], ['tomorrow'], ['12/21/2021'], ['2021-13-45T99:00:00Z'], [NaN], [{}], [true]])('%p → null', (raw) => {
      expect(toInstant(raw)).toBeNull();
    });
  });

  it('toWindows keeps valid windows, sorted, without duplicates', () => {
    expect(toWindows([
      { start: '2022-01-02T10:00:00Z', end: '2022-01-02T12:00:00Z' },
      { start: '2022-01-01T10:00:00Z', end: '2022-01-01T12:00:00Z' },
      { start: '2022-01-01T10:00:00Z', end: '2022-01-01T12:00:00Z' },
      { start: '2022-01-03T12:00:00Z', end: '2022-01-03T10:00:00Z' },
      { start: null, end: '2022-01-03T10:00:00Z' },
      { start: 'soon', end: 'later' },
    ]).map((w) => [w.start.toISOString(), w.end.toISOString()])).toEqual([
      ['2022-01-01T10:00:00.000Z', '2022-01-01T12:00:00.000Z'],
      ['2022-01-02T10:00:00.000Z', '2022-01-02T12:00:00.000Z'],
    ]);
    expect(toWindows([])).toEqual([]);
  });

  it('toLocationDetails keeps a valid time zone only', () => {
    expect(toLocationDetails({ id: 'l', name: ' Zuid ', timeZone: 'Europe/Amsterdam' })).toEqual({ name: 'Zuid', timezone: 'Europe/Amsterdam' });
    expect(toLocationDetails({ id: null, name: null, timeZone: 'Mars/Olympus' })).toEqual({ name: null, timezone: null });
    expect(toLocationDetails({ id: null, name: 3, timeZone: 3 })).toEqual({ name: null, timezone: null });
  });

  describe('bookings', () => {
    it.each([
      ['confirmed', 'confirmed'], ['booked', 'confirmed'], [undefined, 'confirmed'], [null, 'confirmed'], ['whatever', 'confirmed'],
      ['cancelled', 'cancelled'], ['Canceled', 'cancelled'], ['deleted', 'cancelled'],
      ['pending', 'pending'], ['Tentative', 'pending'],
    ])('status %p → %p', (raw, status) => expect(toBookingStatus(raw)).toBe(status));

    it('maps a booking and drops an end before the start', () => {
      const target = { resourceId: 'r_1', connectionId: 'c-1', externalId: 'b*1*2' };
      expect(toBookingUpsert(target, { id: 'b', start: '2021-12-21T22:00:00Z', end: '2021-12-21T22:30:00Z', status: 'confirmed', people: undefined, price: undefined, currency: undefined }))
        .toEqual({
          resourceId: 'r_1', connectionId: 'c-1', provider: 'syncaroo', externalId: 'b*1*2',
          startsAt: new Date('2021-12-21T22:00:00Z'), endsAt: new Date('2021-12-21T22:30:00Z'), status: 'confirmed', people: null, price: null, currency: null,
        });
      expect(toBookingUpsert(target, { id: null, start: 1640124000000, end: 1640120000000, status: null, people: '4', price: '25.50', currency: 'eur' }))
        .toMatchObject({ endsAt: null, people: 4, price: 25.5, currency: 'EUR' });
      expect(toBookingUpsert(target, { id: null, start: null, end: null, status: null, people: null, price: null, currency: null })).toBeNull();
    });

    it('price and currency refuse odd values', () => {
      expect(toPrice('abc')).toBeNull();
      expect(toPrice(10.005)).toBe(10.01);
      expect(toPrice(1e13)).toBeNull();
      expect(toCurrency('EURO')).toBeNull();
      expect(toCurrency(null)).toBeNull();
    });
  });
});
