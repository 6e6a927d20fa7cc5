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

/** Lone UTF-16 surrogates: PostgreSQL refuses them in jsonb (and a cut emoji is garbage in text). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

describe('syncaroo.mapper: stored provider text is bounded', () => {
  const target = { id: 'r_1', locationId: '11980', connectionId: 'c-1', externalId: 'sid', type: 'meeting-room' as const };
  const upsert = (name: unknown, details: Record<string, unknown>) => toResourceUpsert(target, { id: 'sid', name, type: 'meeting-room', capacity: 1, details });

  it('a description is trimmed and cut to 2,000 characters', () => {
    const { attributes } = upsert('Room', { description: `  ${'d'.repeat(5000)}  ` });
    expect(attributes.description).toBe('d'.repeat(2000));
  });

  it('every string inside attributes (rates, availableFrom...) is at most 2,000 characters', () => {
    const { attributes } = upsert('Room', { availableFrom: 'a'.repeat(3000), rates: [{ period: 'p'.repeat(3000), price: 25 }] });
    expect(attributes.availableFrom).toHaveLength(2000);
    expect((attributes.rates as Array<{ period: string }>)[0].period).toHaveLength(2000);
    expect((attributes.rates as Array<{ price: number }>)[0].price).toBe(25);
  });

  it('the whole attributes JSON stays within 16 KB: the largest members are dropped, syncarooId and the small ones kept', () => {
    const rates = Array.from({ length: 5000 }, (_, i) => ({ period: 'hour', price: i, note: 'n'.repeat(200) }));
    const { attributes } = upsert('Room', { description: 'Nice room', units: 2, bookable: true, rates, pricing: { text: 'x'.repeat(1900) } });
    expect(jsonBytes(attributes)).toBeLessThanOrEqual(16 * 1024);
    expect(attributes).toMatchObject({ description: 'Nice room', units: 2, bookable: true, syncarooId: 'sid', pricing: { text: 'x'.repeat(1900) } });
    expect(attributes.rates).toBeUndefined();
  });

  it('multi-byte text counts in bytes towards the 16 KB', () => {
    const emoji = '😀'.repeat(1000); // 2,000 UTF-16 characters, 4,000 bytes
    const { attributes } = upsert('Room', { description: emoji, rates: [{ a: emoji }, { b: emoji }, { c: emoji }, { d: emoji }] });
    expect(JSON.stringify(attributes).length).toBeLessThan(16 * 1024);
    expect(jsonBytes(attributes)).toBeLessThanOrEqual(16 * 1024);
    expect(attributes.description).toBe(emoji);
    expect(attributes.rates).toBeUndefined();
  });

  it('deeply nested or very wide provider JSON is cut, and the result is the same for the same input', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 50; i++) deep = { deeper: deep };
    const wide = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    const details = { rates: deep, pricing: wide, currency: { ['k'.repeat(500)]: 'long key' } };
    const a = upsert('Room', details).attributes;
    expect(jsonBytes(a)).toBeLessThanOrEqual(16 * 1024);
    expect(JSON.stringify(a).split('deeper').length - 1).toBeLessThanOrEqual(8);
    expect(Object.keys(a.pricing as object).length).toBeLessThanOrEqual(100);
    expect(a.currency).toEqual({});
    expect(upsert('Room', details).attributes).toEqual(a);
  });

  it('NUL characters are removed and cut or lone surrogates never reach the database', () => {
    const row = upsert(`Board\u0000 Room ${'😀'.repeat(400)}`, { description: `a\u0000b\uD800c`, rates: [{ note: 'x\u0000' }] });
    expect(row.name).not.toContain('\u0000');
    expect(row.name!.startsWith('Board Room ')).toBe(true);
    expect(row.name!.length).toBeLessThanOrEqual(500);
    expect(LONE_SURROGATE.test(row.name!)).toBe(false);
    expect(row.attributes.description).toBe('ab\uFFFDc');
    expect(row.attributes.rates).toEqual([{ note: 'x' }]);
  });

  it('a location name and time zone are bounded and cleaned the same way', () => {
    const d = toLocationDetails({ id: 'l', name: `Zuid\u0000${'z'.repeat(1000)}`, timeZone: 'Europe/Amsterdam' });
    expect(d.name).toHaveLength(500);
    expect(d.name!.startsWith('Zuidz')).toBe(true);
  });
});
