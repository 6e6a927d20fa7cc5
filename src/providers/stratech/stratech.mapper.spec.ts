import {
  ArrivalDates, LosDatasetReader, NOT_A_SCALAR, ProductCells, productsOf, StratechMappingError, toAccommodation, toCalendarDate, toLosCells,
  toProductCells, toUnitPatches,
} from './stratech.mapper';

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

  it('a repeated cell is found in and out of order: ascending cells, then one going back, then a repeat of a cell before it', () => {
    const c = (arrivalDate: string, lengthOfStay: number, unitsAvailable: number) => ({ arrivalDate, lengthOfStay, unitsAvailable, price: unitsAvailable * 10 });
    const dates = new ArrivalDates();
    const first = toProductCells({ productId: 'p1', losPriceAvailability: [c('2022-04-01', 1, 1), c('2022-04-01', 2, 2), c('2022-04-02', 1, 3)] }, 0, dates);
    expect(first.arrivalDates).toHaveLength(3);
    // The next product's columns start at the last one's size; fewer cells leave no holes.
    const p = toProductCells({ productId: 'p2', losPriceAvailability: [
      c('2022-04-02', 3, 4), c('2022-04-01', 5, 5), c('2022-04-02', 3, 6), c('2022-04-01', 5, 7),
    ] }, 1, dates);
    expect([p.arrivalDates, p.lengthsOfStay, p.units, p.prices]).toEqual([['2022-04-02', '2022-04-01'], [3, 5], [6, 7], [60, 70]]);
    expect(Object.keys(p.units)).toEqual(['0', '1']);
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

describe('stratech mapper: a dataset read as a stream', () => {
  /** Reads `json` in chunks of `size` bytes (UTF-8 split anywhere); entries or the error message. */
  function stream(json: string, size: number): { products: ProductCells[]; scalars: Record<string, unknown> } | { error: string } {
    const reader = new LosDatasetReader();
    const bytes = Buffer.from(json, 'utf8');
    const products: ProductCells[] = [];
    try {
      for (let i = 0; i < bytes.length; i += size) products.push(...reader.push(bytes.subarray(i, i + size)));
      products.push(...reader.end());
    } catch (e) {
      expect(e).toBeInstanceOf(StratechMappingError);
      return { error: (e as Error).message };
    }
    return { products, scalars: { ...reader.scalars } };
  }

  /** The same document through JSON.parse and toProductCells, entry by entry. */
  function parsed(json: string): { products: ProductCells[] } | { error: string } {
    const doc = JSON.parse(json) as { products: unknown[] };
    const dates = new ArrivalDates();
    try {
      return { products: doc.products.map((p, i) => toProductCells(p, i, dates)) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  const entries: unknown[][] = [
    [{ productId: 'p1', name: ' Lodge ', losPriceAvailability: [
      { arrivalDate: '2022-04-01T00:00:00+02:00', lengthOfStay: 1, unitsAvailable: 15, price: 129.5 },
      { price: null, unitsAvailable: 0, lengthOfStay: 2, arrivalDate: '2022-04-01T00:00:00+02:00', extra: { deep: [1, { x: 2 }] } },
      { arrivalDate: '2022-04-01', lengthOfStay: 1, unitsAvailable: 3, price: 1e2 },
    ] }, { losPriceAvailability: [], productId: 7, name: 'Sæter "7" \\ 😀', meta: [[], {}] }],
    // Later keys win, as in JSON.parse: the second cell list, the second name.
    [{ productId: 'p', name: 'a', losPriceAvailability: [{ arrivalDate: '2022-01-01', lengthOfStay: 1, unitsAvailable: 1 }], name2: 1, losPriceAvailability2: 0 }],
    // Bad entries: each error as toProductCells words it, in its order (productId first, even when it comes last).
    [{ losPriceAvailability: [{ arrivalDate: 'nope', lengthOfStay: 1, unitsAvailable: 1 }], productId: '' }],
    [{ productId: { id: 1 }, losPriceAvailability: [] }],
    [{ productId: 'p', losPriceAvailability: { not: 'a list' } }],
    [{ productId: 'p' }],
    [{ productId: 'p', losPriceAvailability: [{ arrivalDate: '2022-01-01', lengthOfStay: 1, unitsAvailable: 1 }, null] }],
    [{ productId: 'p', losPriceAvailability: [[1, 2]] }],
    [{ productId: 'p', losPriceAvailability: [{ arrivalDate: '2022-01-01', lengthOfStay: 1, unitsAvailable: 1, price: '12' }] }],
    [{ productId: 'p', losPriceAvailability: [{ arrivalDate: '2022-01-01', lengthOfStay: { n: 1 }, unitsAvailable: 1 }] }],
    [{ productId: 'p', losPriceAvailability: [{ arrivalDate: '2022-02-30', lengthOfStay: 1, unitsAvailable: 1 }, 'x'] }],
    [{ productId: 'p', losPriceAvailability: [{ arrivalDate: '2022-01-01', lengthOfStay: 1, unitsAvailable: -1, constructor: 1, __proto__: 2 }] }],
  ];

  it.each(entries.map((products, i) => [i, products]))('entries %i stream exactly as they parse, in chunks of any size', (_i, products) => {
    const json = JSON.stringify({ key: 'k1', currency: 'EUR', products, after: { products: 'not these' } });
    const expected = parsed(json);
    for (const size of [1, 2, 3, 7, 64, 1 << 20]) {
      const got = stream(json, size);
      if ('error' in expected) expect(got).toEqual({ error: expected.error });
      else expect(got).toEqual({ products: expected.products, scalars: { key: 'k1', currency: 'EUR' } });
    }
  });

  it('keeps the top-level scalars wherever they are; other top-level values are skipped', () => {
    const json = `\uFEFF{"meta":{"products":[1]},"products":[],"key":"k9","resortReference":"r","channelReference":{"x":1},"currency":null,"organizationReference":5}`;
    const got = stream(json, 5);
    expect(got).toEqual({ products: [], scalars: { key: 'k9', resortReference: 'r', channelReference: NOT_A_SCALAR, currency: null, organizationReference: 5 } });
  });

  it.each([
    ['{"key":"k","products":[{"productId":"p","losPriceAvailability":[', 'not valid JSON'],
    ['{"key":"k","products":[{"productId":"p","losPriceAvailability":[]}]', 'not valid JSON'],
    ['{"key":"k","products":[{"productId":"p",]}', 'not valid JSON'],
    ['{"key":"k","products":[]} trailing', 'not valid JSON'],
    ['', 'not valid JSON'],
    ['{"key":"k"}', 'no products array'],
    ['{"products":{}}', 'no products array'],
    ['{"products":null}', 'no products array'],
    ['[]', 'no products array'],
    ['"text"', 'no products array'],
    ['{"products":[],"products":[]}', 'products twice'],
    ['{"products":[null]}', 'products[0].productId'],
  ])('%j → %s', (json, message) => {
    for (const size of [1, 4, 1000]) {
      const got = stream(json, size);
      expect(got).toEqual({ error: expect.stringContaining(message) });
    }
  });

  it('hands entries out as soon as they are complete', () => {
    const reader = new LosDatasetReader();
    const first = '{"key":"k","products":[{"productId":"a","losPriceAvailability":[{"arrivalDate":"2022-01-01","lengthOfStay":1,"unitsAvailable":1}]}';
    expect(reader.push(first).map((p) => p.externalId)).toEqual(['a']);
    expect(reader.productsStarted).toBe(true);
    expect(reader.push(',{"productId":"b","losPriceAvailability":[]').map((p) => p.externalId)).toEqual([]);
    expect(reader.push('}]}').map((p) => p.externalId)).toEqual(['b']);
    expect(reader.end()).toEqual([]);
    expect(reader.products).toBe(2);
  });
});
