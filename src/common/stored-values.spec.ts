import { boundedAttributes, boundedJson, boundedText, MAX_ATTRIBUTES_BYTES, storableString } from './stored-values';

describe('stored-values', () => {
  it('storableString removes NUL, never cuts a surrogate pair, replaces lone surrogates', () => {
    expect(storableString('a\u0000b', 10)).toBe('ab');
    expect(storableString('ab😀', 3)).toBe('ab');
    expect(storableString('ab😀', 4)).toBe('ab😀');
    expect(storableString('x\uDC00y\uD800', 10)).toBe('x\uFFFDy\uFFFD');
  });

  it('boundedText trims, bounds and turns blank or non-strings into null', () => {
    expect(boundedText('  hello  ', 3)).toBe('hel');
    expect(boundedText('ab   cd', 4)).toBe('ab');
    expect(boundedText(' \u0000 ', 10)).toBeNull();
    expect(boundedText(42, 10)).toBeNull();
  });

  it('boundedJson keeps scalars, cuts strings, arrays, objects and depth', () => {
    expect(boundedJson({ a: 1, b: true, c: null, d: 's' })).toEqual({ a: 1, b: true, c: null, d: 's' });
    expect((boundedJson('x'.repeat(5000)) as string).length).toBe(2000);
    expect((boundedJson(Array.from({ length: 1000 }, (_, i) => i)) as number[]).length).toBe(100);
    expect(boundedJson({ ['k'.repeat(101)]: 1, ok: 2 })).toEqual({ ok: 2 });
    const proto = boundedJson(JSON.parse('{"__proto__":{"polluted":true},"ok":1}')) as Record<string, unknown>;
    expect(proto).toEqual({ ok: 1 });
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(boundedJson([[[[[[[1]]]]]]])).toEqual([[[[[[]]]]]]);
  });

  it('boundedAttributes drops the largest members until the JSON fits, never a kept one', () => {
    const a = boundedAttributes({ big: 'b'.repeat(1800), mid: 'm'.repeat(900), small: 's', id: 'i'.repeat(1500) }, { keep: ['id'], maxBytes: 2000 });
    expect(Object.keys(a)).toEqual(['small', 'id']); // big first, then mid: 900 + 1500 is still over 2000
    expect(Buffer.byteLength(JSON.stringify(a))).toBeLessThanOrEqual(2000);
    expect(boundedAttributes({ id: 'i'.repeat(1500), x: 'x' }, { keep: ['id'], maxBytes: 100 })).toEqual({ id: 'i'.repeat(1500) });
    const everything = boundedAttributes(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v'.repeat(1000)])));
    expect(Buffer.byteLength(JSON.stringify(everything))).toBeLessThanOrEqual(MAX_ATTRIBUTES_BYTES);
    expect(Object.keys(everything).length).toBe(16); // as many as fit: 16 × ~1,008 bytes
    expect(boundedAttributes(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v'.repeat(1000)])))).toEqual(everything);
  });
});
