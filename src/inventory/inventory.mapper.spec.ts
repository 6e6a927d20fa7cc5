import { toAvailabilityView, toBookingView, toLocationView, toLosView, toResourceView } from './inventory.mapper';

// Timestamps reach the mappers as the API's ISO text (READ_TYPES, read-types.ts).
const at = '2026-03-01T08:00:00.123Z';

describe('toLocationView', () => {
  it('renames columns, keeps nulls of an unowned location and writes UTC with Z', () => {
    expect(toLocationView({ id: '11980', name: null, timezone: null, provider: null, connection_id: null, external_id: null, updated_at: at }))
      .toEqual({ id: '11980', name: null, timezone: null, provider: null, connectionId: null, externalId: null, updatedAt: '2026-03-01T08:00:00.123Z' });
  });
});

describe('toResourceView', () => {
  const row = {
    id: 'r_1', location_id: '11980', type: 'meeting-room' as const, name: 'Boardroom', capacity: 8, status: 'active' as const,
    provider: 'syncaroo', external_id: '78430', attributes: { floor: 2 }, updated_at: at,
  };
  it('exposes exactly the contract fields (no connectionId, no hash)', () => {
    expect(toResourceView({ ...row, connection_id: 'c', source_hash: 'h' } as never)).toEqual({
      id: 'r_1', locationId: '11980', type: 'meeting-room', name: 'Boardroom', capacity: 8, status: 'active',
      provider: 'syncaroo', externalId: '78430', attributes: { floor: 2 }, updatedAt: '2026-03-01T08:00:00.123Z',
    });
  });
  it('null name/capacity stay null; missing attributes become {}', () => {
    const v = toResourceView({ ...row, name: null, capacity: null, attributes: null });
    expect(v).toMatchObject({ name: null, capacity: null, attributes: {} });
  });
});

describe('toBookingView', () => {
  const row = {
    id: '3f1c2a70-0000-4000-8000-000000000001', resource_id: 'r_1', external_id: 'b-1', starts_at: at, ends_at: '2026-03-01T09:30:00.000Z',
    status: 'confirmed' as const, people: 4, price: '129.50', currency: 'EUR', updated_at: at,
  };
  it('turns numeric text into a JSON number and times into UTC ISO strings', () => {
    expect(toBookingView(row)).toEqual({
      id: row.id, resourceId: 'r_1', externalId: 'b-1', start: '2026-03-01T08:00:00.123Z', end: '2026-03-01T09:30:00.000Z',
      status: 'confirmed', people: 4, price: 129.5, currency: 'EUR', updatedAt: '2026-03-01T08:00:00.123Z',
    });
  });
  it('open end, unknown people, price and currency are null', () => {
    expect(toBookingView({ ...row, ends_at: null, people: null, price: null, currency: null }))
      .toMatchObject({ end: null, people: null, price: null, currency: null });
  });
  it('a price of 0 is 0, not null; large prices keep their cents', () => {
    expect(toBookingView({ ...row, price: '0.00' }).price).toBe(0);
    expect(toBookingView({ ...row, price: '999999999999.99' }).price).toBe(999999999999.99);
    expect(toBookingView({ ...row, price: 12 }).price).toBe(12);
  });
});

describe('toAvailabilityView', () => {
  it('gives start and end only', () => {
    expect(toAvailabilityView({ starts_at: at, ends_at: '2026-03-01T10:00:00.000Z', id: '7' } as never))
      .toEqual({ start: '2026-03-01T08:00:00.123Z', end: '2026-03-01T10:00:00.000Z' });
  });
});

describe('toLosView', () => {
  const row = {
    resource_id: 'p_1', channel: 'dc_jdy39', arrival_day: '2022-04-01', length_of_stay: 2, units_available: 15,
    price: '238.00', currency: 'EUR', updated_at: at,
  };
  it('keeps the calendar date text as is and prices as numbers', () => {
    expect(toLosView(row)).toEqual({
      resourceId: 'p_1', channel: 'dc_jdy39', arrivalDate: '2022-04-01', lengthOfStay: 2, unitsAvailable: 15,
      price: 238, currency: 'EUR', updatedAt: '2026-03-01T08:00:00.123Z',
    });
  });
  it('no price, no currency, zero units', () => {
    expect(toLosView({ ...row, price: null, currency: null, units_available: 0 })).toMatchObject({ price: null, currency: null, unitsAvailable: 0 });
  });
});
