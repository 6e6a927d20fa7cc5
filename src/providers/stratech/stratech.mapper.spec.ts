import { productsOf, StratechMappingError, toAccommodation, toCalendarDate, toLosCells, toUnitPatches } from './stratech.mapper';

describe('stratech mapper: arrivalDate keeps its own calendar date', () => {
  it.each([
    ['2022-04-01T00:00:00+02:00', '2022-04-01'],
    ['2022-04-01T23:30:00-05:00', '2022-04-01'],
    ['2022-04-01T00:30:00+14:00', '2022-04-01'],
    ['2022-04-01', '2022-04-01'],
    ['2022-04-01T00:00:00Z', '2022-04-01'],
    ['2022-04-01T00:00:00.000+0200', '2022-04-01'],
    ['2022-04-01T00:00', '2022-04-01'],
    ['2024-02-29T00:00:00+01:00', '2024-02-29'],
  ])('%s → %s', (raw, expected) => {
    expect(toCalendarDate(raw)).toBe(expected);
  });

  it.each([
    ['2022-13-01'], ['2022-02-30T00:00:00+01:00'], ['2023-02-29'], ['01-04-2022'], ['2022-04-01T25'], ['tomorrow'], [''],
    ['2022-04-01T00:00:00+02:00 extra'], ['2022-4-1'],
  ])('rejects %j', (raw) => {
    expect(() => toCalendarDate(raw)).toThrow(StratechMappingError);
  });

  it.each([[null], [undefined], [20220401], [{}]])('rejects non-strings (%j)', (raw) => {
    expect(() => toCalendarDate(raw)).toThrow(StratechMappingError);
  });
});

describe('stratech mapper: products and cells', () => {
  const ids = (p: string) => `r-${p}`;

  it('maps a dataset to cells with resource ids, dates and prices; missing price is null', () => {
    const cells = toLosCells({
      products: [
        { productId: 'p1', losPriceAvailability: [
          { arrivalDate: '2022-04-01T00:00:00+02:00', lengthOfStay: 1, unitsAvailable: 15, price: 129 },
          { arrivalDate: '2022-04-01T00:00:00+02:00', lengthOfStay: 2, unitsAvailable: 0 },
        ] },
        { productId: 'p2', losPriceAvailability: [] },
      ],
    }, ids);
    expect(cells).toEqual([
      { resourceId: 'r-p1', arrivalDate: '2022-04-01', lengthOfStay: 1, unitsAvailable: 15, price: 129 },
      { resourceId: 'r-p1', arrivalDate: '2022-04-01', lengthOfStay: 2, unitsAvailable: 0, price: null },
    ]);
  });

  it('keeps the last of a cell listed twice (also across two entries of one product)', () => {
    const cells = toLosCells({
      products: [
        { productId: 'p1', losPriceAvailability: [{ arrivalDate: '2022-04-01', lengthOfStay: 1, unitsAvailable: 1, price: 1 }] },
        { productId: 'p1', losPriceAvailability: [{ arrivalDate: '2022-04-01T00:00:00+02:00', lengthOfStay: 1, unitsAvailable: 2, price: 2 }] },
      ],
    }, ids);
    expect(cells).toEqual([{ resourceId: 'r-p1', arrivalDate: '2022-04-01', lengthOfStay: 1, unitsAvailable: 2, price: 2 }]);
  });

  it.each([
    [{ products: null }, 'products'],
    [{ products: [{ productId: '', losPriceAvailability: [] }] }, 'productId'],
    [{ products: [{ productId: 'p', losPriceAvailability: null }] }, 'losPriceAvailability'],
    [{ products: [{ productId: 'p', losPriceAvailability: [null] }] }, 'must be an object'],
    [{ products: [{ productId: 'p', losPriceAvailability: [{ arrivalDate: '2022-04-01', lengthOfStay: 0, unitsAvailable: 1 }] }] }, 'lengthOfStay'],
    [{ products: [{ productId: 'p', losPriceAvailability: [{ arrivalDate: '2022-04-01', lengthOfStay: 1.5, unitsAvailable: 1 }] }] }, 'lengthOfStay'],
    [{ products: [{ productId: 'p', losPriceAvailability: [{ arrivalDate: '2022-04-01', lengthOfStay: 1, unitsAvailable: -1 }] }] }, 'unitsAvailable'],
    [{ products: [{ productId: 'p', losPriceAvailability: [{ arrivalDate: '2022-04-31', lengthOfStay: 1, unitsAvailable: 1 }] }] }, 'arrivalDate'],
    [{ products: [{ productId: 'p', losPriceAvailability: [{ arrivalDate: '2022-04-01', lengthOfStay: 1, unitsAvailable: 1, price: '12' }] }] }, 'price'],
  ])('rejects a bad dataset %j naming %s', (dataset, field) => {
    expect(() => toLosCells(dataset as never, ids)).toThrow(new RegExp(field));
  });

  it('lists distinct products, first-seen order, names trimmed, the last given name kept', () => {
    expect(productsOf([
      { productId: 'a', name: ' Lodge ' }, { productId: 'b' }, { productId: 'a', name: null }, { productId: 7 as unknown as string, name: '' },
    ])).toEqual([{ externalId: 'a', name: 'Lodge' }, { externalId: 'b', name: null }, { externalId: '7', name: null }]);
  });

  it('a product is an active accommodation; without a name it keeps the existing one', () => {
    const target = { id: 'r1', locationId: 'loc', connectionId: 'c', existingName: 'Old' };
    expect(toAccommodation({ externalId: 'p', name: null }, target)).toEqual({
      id: 'r1', locationId: 'loc', connectionId: 'c', provider: 'stratech', externalId: 'p', type: 'accommodation',
      name: 'Old', capacity: null, status: 'active', attributes: {},
    });
    expect(toAccommodation({ externalId: 'p', name: 'New' }, target).name).toBe('New');
  });

  it('partials become unit patches; the later of two patches of one cell wins', () => {
    expect(toUnitPatches([
      { productId: 'p1', losPriceAvailability: [
        { arrivalDate: '2022-04-01T00:00:00+02:00', lengthOfStay: 1, unitsAvailable: 5 },
        { arrivalDate: '2022-04-02T00:00:00+02:00', lengthOfStay: 1, unitsAvailable: 6 },
        { arrivalDate: '2022-04-01', lengthOfStay: 1, unitsAvailable: 7 },
      ] },
    ], ids)).toEqual([
      { resourceId: 'r-p1', arrivalDate: '2022-04-02', lengthOfStay: 1, unitsAvailable: 6 },
      { resourceId: 'r-p1', arrivalDate: '2022-04-01', lengthOfStay: 1, unitsAvailable: 7 },
    ]);
  });
});

describe('stratech mapper: stored product names are bounded', () => {
  it('a product name is cleaned of NUL characters and cut to 500 characters without splitting a character', () => {
    const [long, nul, emoji] = productsOf([
      { productId: 'a', name: ` ${'n'.repeat(2000)}` },
      { productId: 'b', name: 'Lodge\u0000 4 ' },
      { productId: 'c', name: `x${'😀'.repeat(300)}` },
    ]);
    expect(long.name).toBe('n'.repeat(500));
    expect(nul.name).toBe('Lodge 4');
    expect(emoji.name!.length).toBeLessThanOrEqual(500);
    expect(/[\uD800-\uDBFF]$/.test(emoji.name!)).toBe(false);
  });
});
