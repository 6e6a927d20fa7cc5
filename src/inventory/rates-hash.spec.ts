import { ratesHash, RateWrite } from './rates.repository';

const day: RateWrite = { externalId: 'r:day', name: 'Day', price: 150, currency: 'EUR', unit: 'day' };
const month: RateWrite = { externalId: 'm1', name: null, price: 2000, currency: null, unit: 'month' };

describe('ratesHash', () => {
  it('is the same for the same list in any order', () => {
    expect(ratesHash([day, month])).toBe(ratesHash([month, day]));
  });

  it('differs when any written field differs, and for the empty list', () => {
    const base = ratesHash([day]);
    for (const changed of [{ ...day, externalId: 'r:day2' }, { ...day, name: null }, { ...day, price: 150.01 }, { ...day, price: null },
      { ...day, currency: 'USD' }, { ...day, unit: 'week' as const }]) {
      expect(ratesHash([changed])).not.toBe(base);
    }
    expect(ratesHash([])).not.toBe(base);
    expect(ratesHash([day, month])).not.toBe(base);
  });
});
