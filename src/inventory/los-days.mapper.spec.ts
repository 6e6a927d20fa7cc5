import { numberArrayLiteral, patchLosDay, timeArrayLiteral, toLosDays } from './los-days.mapper';

describe('toLosDays', () => {
  it('groups a product\'s cells by arrival date, each stay at its own position, holes as NULL', () => {
    const days = toLosDays({
      resourceId: 'r1',
      arrivalDates: ['2027-01-02', '2027-01-01', '2027-01-02', '2027-01-02'],
      lengthsOfStay: [3, 1, 1, 2],
      units: [5, 7, 0, 4],
      prices: [300, 100, null, 200.5],
    });
    expect(days.map((d) => [d.arrivalDate, numberArrayLiteral(d.units), numberArrayLiteral(d.prices)])).toEqual([
      ['2027-01-02', '{0,4,5}', '{NULL,200.5,300}'],
      ['2027-01-01', '{7}', '{100}'],
    ]);
  });

  it('a day whose shortest stay is long starts with NULLs (position = nights)', () => {
    const [day] = toLosDays({ resourceId: 'r1', arrivalDates: ['2027-01-01'], lengthsOfStay: [4], units: [2], prices: [80] });
    expect(numberArrayLiteral(day.units)).toBe('{NULL,NULL,NULL,2}');
    expect(numberArrayLiteral(day.prices)).toBe('{NULL,NULL,NULL,80}');
  });
});

describe('patchLosDay', () => {
  const stored = { units: [3, null, 5], updatedAt: '2027-01-01 10:00:00.123456+00', cellUpdatedAt: null };

  it('changes only the listed stays; they take the time now, the others keep the day\'s time', () => {
    const p = patchLosDay(stored, [{ lengthOfStay: 3, unitsAvailable: 9 }, { lengthOfStay: 1, unitsAvailable: 3 }]);
    expect(p).toEqual({ units: [3, null, 9], cellUpdatedAt: ['2027-01-01 10:00:00.123456+00', null, 'now'], changed: 1 });
    expect(timeArrayLiteral(p!.cellUpdatedAt!)).toBe('{"2027-01-01 10:00:00.123456+00",NULL,now}');
  });

  it('adds a stay the day did not have, past its end too', () => {
    const p = patchLosDay(stored, [{ lengthOfStay: 2, unitsAvailable: 1 }, { lengthOfStay: 5, unitsAvailable: 0 }]);
    expect(p).toEqual({ units: [3, 1, 5, null, 0], cellUpdatedAt: ['2027-01-01 10:00:00.123456+00', 'now', '2027-01-01 10:00:00.123456+00', null, 'now'], changed: 2 });
  });

  it('keeps the cells\' own times from an earlier partial', () => {
    const p = patchLosDay({ ...stored, cellUpdatedAt: ['2027-01-02 00:00:00+00', null, null] }, [{ lengthOfStay: 3, unitsAvailable: 6 }]);
    expect(p!.cellUpdatedAt).toEqual(['2027-01-02 00:00:00+00', null, 'now']);
  });

  it('nothing changes → null (no write); the later of two entries for one stay wins', () => {
    expect(patchLosDay(stored, [{ lengthOfStay: 1, unitsAvailable: 3 }])).toBeNull();
    expect(patchLosDay(stored, [{ lengthOfStay: 1, unitsAvailable: 8 }, { lengthOfStay: 1, unitsAvailable: 3 }])).toBeNull();
  });

  it('a day not stored yet is created from the patch alone (its cells take the day\'s time)', () => {
    expect(patchLosDay(null, [{ lengthOfStay: 2, unitsAvailable: 4 }])).toEqual({ units: [null, 4], cellUpdatedAt: null, changed: 1 });
  });
});
