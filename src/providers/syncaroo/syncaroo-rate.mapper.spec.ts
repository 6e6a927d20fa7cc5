import { toRateList, toRateUnit, toRateUpsert } from './syncaroo-rate.mapper';

describe('Syncaroo rate mapping', () => {
  it('maps {id, name, price, currency, unit}', () => {
    expect(toRateUpsert({ id: 'r1', name: ' Hourly ', price: '12.505', currency: 'eur', unit: 'hour' }))
      .toEqual({ externalId: 'r1', name: 'Hourly', price: 12.51, currency: 'EUR', unit: 'hour' });
  });

  it('accepts period for unit, aliases, and the webhook id when the body has none', () => {
    expect(toRateUpsert({ price: 90, period: 'Half-Day' }, 'syn-9')).toEqual({ externalId: 'syn-9', name: null, price: 90, currency: null, unit: 'half-day' });
    expect(toRateUnit('monthly')).toBe('month');
    expect(toRateUnit('fortnight')).toBeNull();
  });

  it('refuses a rate without id or a known unit', () => {
    expect(toRateUpsert({ id: 'r1', unit: 'decade' })).toBeNull();
    expect(toRateUpsert({ unit: 'day' })).toBeNull();
    expect(toRateUpsert(['not', 'an', 'object'])).toBeNull();
    expect(toRateUpsert({ id: 'bad id with spaces', unit: 'day' })).toBeNull();
  });

  it('reads a resource JSON rates array: undefined when absent, unusable entries skipped, last one of an id wins', () => {
    expect(toRateList(undefined, 'res-1')).toBeUndefined();
    expect(toRateList({}, 'res-1')).toBeUndefined();
    expect(toRateList([], 'res-1')).toEqual([]);
    expect(toRateList([{ id: 'a', unit: 'day', price: 1 }, { id: 'b' }, { id: 'a', unit: 'week', price: 2 }], 'res-1'))
      .toEqual([{ externalId: 'a', name: null, price: 2, currency: null, unit: 'week' }]);
    expect(toRateList([{ period: 'day', price: 150 }, { period: 'hour', price: 20, currency: 'eur' }], 'res-1')).toEqual([
      { externalId: 'res-1:day', name: null, price: 150, currency: null, unit: 'day' },
      { externalId: 'res-1:hour', name: null, price: 20, currency: 'EUR', unit: 'hour' },
    ]);
    // Without an id the resource names the rate: two rooms' day rates are two rates.
    expect(toRateList([{ period: 'day', price: 1 }], 'res-2')![0].externalId).toBe('res-2:day');
  });
});
