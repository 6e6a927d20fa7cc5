import { threadId } from 'node:worker_threads';
import { LosParseThread } from './los-parse.thread';
import { LosDatasetReader, NOT_A_SCALAR, ProductCells, StratechMappingError } from './stratech.mapper';

/** A dataset with what the thread must carry across: nulls, fractions, a name that is not ASCII, a repeated cell, dates out of order. */
function dataset(): string {
  const cells = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ({
    arrivalDate: `2027-0${1 + (i % 3)}-${String(1 + ((i * 7) % 28)).padStart(2, '0')}T00:00:00+01:00`,
    lengthOfStay: 1 + (i % 28),
    unitsAvailable: (i * seed) % 11,
    price: i % 5 === 0 ? null : Math.round(i * seed * 1.37) / 100,
  }));
  return JSON.stringify({
    key: 'k1',
    channelReference: { not: 'a scalar' },
    products: [
      { productId: 'p1', name: 'Sæter 😀 "1"', losPriceAvailability: cells(300, 3) },
      { productId: 42, losPriceAvailability: [...cells(40, 5), { arrivalDate: '2027-01-01', lengthOfStay: 1, unitsAvailable: 9, price: 1.5 }] },
      { productId: 'p3', name: null, losPriceAvailability: [] },
    ],
    currency: 'eur',
  });
}

/** `json` pushed in chunks of `size` bytes, every push sent before any answer is awaited. */
async function throughThread(json: string, size: number): Promise<{ products: ProductCells[]; scalars: unknown }> {
  const parser = new LosParseThread();
  try {
    const bytes = Buffer.from(json, 'utf8');
    const answers: Array<Promise<ProductCells[]>> = [];
    for (let i = 0; i < bytes.length; i += size) answers.push(parser.push(bytes.subarray(i, i + size)));
    answers.push(parser.end());
    const products = (await Promise.all(answers)).flat();
    return { products, scalars: parser.scalars };
  } finally {
    await parser.close();
  }
}

function inProcess(json: string): { products: ProductCells[]; scalars: unknown } {
  const reader = new LosDatasetReader();
  const products = [...reader.push(json), ...reader.end()];
  return { products, scalars: { ...reader.scalars } };
}

describe('LosParseThread: a dataset parsed in a worker thread', () => {
  it('gives the products and scalars the reader gives in this thread, in chunks of any size', async () => {
    const json = dataset();
    const expected = inProcess(json);
    expect(expected.products.map((p) => p.externalId)).toEqual(['p1', '42', 'p3']);
    expect(expected.scalars).toEqual({ key: 'k1', channelReference: NOT_A_SCALAR, currency: 'eur' });
    for (const size of [1, 333, 4096, 1 << 20]) {
      expect(await throughThread(json, size)).toEqual(expected);
    }
  });

  it('runs in another thread', async () => {
    const parser = new LosParseThread();
    try {
      expect(parser.threadId).toBeGreaterThan(0);
      expect(parser.threadId).not.toBe(threadId);
    } finally {
      await parser.close();
    }
  });

  it('rejects the chunk with the first bad cell and every push after it, with the reader\'s words', async () => {
    const json = JSON.stringify({ products: [
      { productId: 'a', losPriceAvailability: [{ arrivalDate: '2027-01-01', lengthOfStay: 1, unitsAvailable: 1 }] },
      { productId: 'b', losPriceAvailability: [{ arrivalDate: '2027-02-30', lengthOfStay: 1, unitsAvailable: 1 }] },
    ] });
    const cut = json.indexOf('"b"');
    const parser = new LosParseThread();
    try {
      const first = parser.push(Buffer.from(json.slice(0, cut)));
      const second = parser.push(Buffer.from(json.slice(cut)));
      const end = parser.end();
      expect((await first).map((p) => p.externalId)).toEqual(['a']);
      await expect(second).rejects.toThrow(new StratechMappingError('products[1].losPriceAvailability[0].arrivalDate "2027-02-30" is not a calendar date'));
      await expect(end).rejects.toBeInstanceOf(StratechMappingError);
      await expect(parser.push(Buffer.from('{}'))).rejects.toBeInstanceOf(StratechMappingError);
    } finally {
      await parser.close();
    }
  });

  it('rejects what is still waiting when it is closed', async () => {
    const parser = new LosParseThread();
    const waiting = parser.end();
    await parser.close();
    await expect(waiting).rejects.toThrow('closed');
  });
});

describe('LosParseThread: memory', () => {
  it('a product with more cells than its heap takes fails the dataset as a mapping error; this process is untouched', async () => {
    // 1,500 arrival dates × 400 stays = 600,000 cells in one product entry, ~40 MB of JSON; the thread gets 16 MB.
    const parts: string[] = [];
    for (let d = 0; d < 1500; d++) {
      const date = new Date(Date.UTC(2027, 0, 1 + d)).toISOString().slice(0, 10);
      for (let s = 1; s <= 400; s++) parts.push(`{"arrivalDate":"${date}","lengthOfStay":${s},"unitsAvailable":1,"price":${s}.5}`);
    }
    const json = Buffer.from(`{"products":[{"productId":"big","losPriceAvailability":[${parts.join(',')}]}]}`);
    const parser = new LosParseThread({ maxHeapMb: 16 });
    try {
      const answers: Array<Promise<ProductCells[]>> = [];
      for (let i = 0; i < json.length; i += 1 << 20) answers.push(parser.push(json.subarray(i, i + (1 << 20))));
      answers.push(parser.end());
      const all = Promise.all(answers);
      await expect(all).rejects.toBeInstanceOf(StratechMappingError);
      await expect(all).rejects.toThrow("a product of the dataset holds more cells than the parser's 16 MB can take");
    } finally {
      await parser.close();
    }
    // The same document parses with the default heap.
    const ok = new LosParseThread();
    try {
      const answers: Array<Promise<ProductCells[]>> = [];
      for (let i = 0; i < json.length; i += 1 << 20) answers.push(ok.push(json.subarray(i, i + (1 << 20))));
      answers.push(ok.end());
      const products = (await Promise.all(answers)).flat();
      expect(products.map((p) => [p.externalId, p.units.length])).toEqual([['big', 600_000]]);
    } finally {
      await ok.close();
    }
  }, 60_000);
});
