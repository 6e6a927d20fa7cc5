import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import { PageQuery } from '../../common/pagination';
import { createValidationPipe, FAST_PARSE, FastParse } from '../../common/validation.pipe';
import { AvailabilityQuery, BookingListQuery, InventoryIdParam, LosQuery, ResourceListQuery } from './inventory-query.dto';

// The full path, as createValidationPipe runs it when there is no fast path.
const full = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, transformOptions: { enableImplicitConversion: false } });
const fastOf = (cls: object) => (cls as { [FAST_PARSE]: FastParse<object> })[FAST_PARSE];

const ZONED = ['2026-03-01T00:00:00Z', '2026-03-01T10:00:00+01:00', '2026-03-01T10:00:00 01:00', '2026-03-01T09:00:00.123456789Z', '2026-02-30T00:00:00Z',
  '2026-03-01T09:00:00', '2026-03-01', 'yesterday', ''];
const DATES = ['2026-02-28', '2024-02-29', '2026-02-29', '2026-13-01', '2026-1-1', '', '2026-01-01T00:00:00Z'];
const IDS = ['L500', 'R777', 'a.b_c:d*e@f-g', 'x'.repeat(200), 'x'.repeat(201), '', 'has space', 'é', '../x'];
const PAGE = {
  limit: ['1', '100', '500', '501', '0', '-1', '1e2', ' 7', '07', '1.5', '', 'abc', '99999999999'],
  cursor: ['WyJSMSJd', 'a-b_c', 'x'.repeat(1000), 'x'.repeat(1001), '', 'a+b', 'a=b'],
};
const CASES: Array<[string, object, Record<string, string[]>, 'query' | 'param']> = [
  ['PageQuery', PageQuery, PAGE, 'query'],
  ['InventoryIdParam', InventoryIdParam, { id: IDS }, 'param'],
  ['ResourceListQuery', ResourceListQuery, {
    ...PAGE, locationId: IDS, type: ['office', 'meeting-room', 'Office', 'castle', ''], provider: ['syncaroo', 'stratech', 'other', ''],
    status: ['active', 'inactive', 'gone', ''], updatedSince: ZONED,
  }, 'query'],
  ['BookingListQuery', BookingListQuery, { ...PAGE, from: ZONED, to: ZONED, status: ['confirmed', 'cancelled', 'maybe', ''] }, 'query'],
  ['AvailabilityQuery', AvailabilityQuery, { ...PAGE, from: ZONED, to: ZONED }, 'query'],
  ['LosQuery', LosQuery, {
    ...PAGE, locationId: IDS, resourceId: IDS, channel: ['ch1', 'Booking.com', 'x'.repeat(200), 'x'.repeat(201), '', 'tab\there', 'del\u007f'],
    arrivalFrom: DATES, arrivalTo: DATES, lengthOfStay: ['1', '7', '365', '366', '0', '-1', '007', '+7', '7.0', '1e1', ''],
    minUnits: ['0', '1', '2147483647', '2147483648', '-1', '00', '9999999999', '99999999999', ''],
  }, 'query'],
];

/** Every member value alone, each with every other member's first value, plus unknown members and non-strings. */
function inputs(fields: Record<string, string[]>): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [{}];
  const names = Object.keys(fields);
  for (const a of names) {
    for (const v of fields[a]) {
      out.push({ [a]: v });
      for (const b of names) if (b !== a) out.push({ [a]: v, [b]: fields[b][0] }, { [b]: fields[b][1] ?? fields[b][0], [a]: v });
    }
    out.push({ [a]: [fields[a][0], fields[a][0]] }, { [a]: { x: fields[a][0] } }, { [a]: fields[a][0], unknown: '1' });
  }
  out.push({ __proto__: 'x' } as never, { constructor: 'x' }, { toString: 'x' });
  return out;
}

describe.each(CASES)('%s fast path', (_name, cls, fields, type) => {
  const fast = fastOf(cls);
  it('is declared on the class itself', () => expect(Object.prototype.hasOwnProperty.call(cls, FAST_PARSE)).toBe(true));

  it('accepts only what the decorators accept, and gives the same instance', async () => {
    let accepted = 0;
    for (const input of inputs(fields)) {
      const copy = () => Object.assign(Object.create(null), input) as Record<string, unknown>; // as the query parser makes it
      const quick = fast(copy());
      const slow = await full.transform(copy(), { type, metatype: cls as never }).then((v) => ({ ok: true as const, v }), () => ({ ok: false as const }));
      if (quick === undefined) continue;
      accepted++;
      expect({ input, accepted: slow.ok }).toEqual({ input, accepted: true });
      expect(quick).toBeInstanceOf(cls as never);
      expect({ input, value: { ...quick } }).toEqual({ input, value: { ...(slow as { v: object }).v } });
    }
    expect(accepted).toBeGreaterThanOrEqual(4);
  });

  it('the app pipe answers the same with or without the fast path', async () => {
    const pipe = createValidationPipe();
    for (const input of inputs(fields).slice(0, 400)) {
      const viaPipe = await pipe.transform(Object.assign(Object.create(null), input), { type, metatype: cls as never }).then((v) => ({ ...(v as object) }), (e: { getResponse(): unknown }) => e.getResponse());
      const viaFull = await full.transform(Object.assign(Object.create(null), input), { type, metatype: cls as never }).then((v) => ({ ...(v as object) }), () => 'refused');
      if (viaFull === 'refused') expect(viaPipe).toHaveProperty('errors');
      else expect(viaPipe).toEqual(viaFull);
    }
  });
});

describe('typical requests take the fast path', () => {
  it.each([
    [ResourceListQuery, { locationId: 'L500', limit: '100' }, { locationId: 'L500', limit: 100 }],
    [ResourceListQuery, { updatedSince: '2026-01-01T00:00:00Z', cursor: 'WyJhIl0' }, { updatedSince: '2026-01-01T00:00:00Z', cursor: 'WyJhIl0' }],
    [BookingListQuery, { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' }, { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' }],
    [LosQuery, { locationId: 'L51', arrivalFrom: '2026-05-01', arrivalTo: '2026-05-31', lengthOfStay: '7' }, { locationId: 'L51', arrivalFrom: '2026-05-01', arrivalTo: '2026-05-31', lengthOfStay: 7 }],
    [LosQuery, { resourceId: 'R50', channel: 'ch1', minUnits: '1' }, { resourceId: 'R50', channel: 'ch1', minUnits: 1 }],
    [InventoryIdParam, { id: 'R777' }, { id: 'R777' }],
  ] as Array<[object, Record<string, string>, object]>)('%p %p', (cls, input, expected) => {
    const v = fastOf(cls)(Object.assign(Object.create(null), input));
    expect(v).toBeInstanceOf(cls as never);
    expect(JSON.parse(JSON.stringify(v))).toEqual(expected);
  });

  it('subclasses without their own fast path do not inherit one', () => {
    class Other extends PageQuery {}
    expect(Object.prototype.hasOwnProperty.call(Other, FAST_PARSE)).toBe(false);
  });
});
