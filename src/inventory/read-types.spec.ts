import { types } from 'pg';
import { isoFromTimestamptz, READ_TYPES } from './read-types';

const pgParse = types.getTypeParser(1184, 'text') as (text: string) => Date;

describe('isoFromTimestamptz', () => {
  // Each is what pg → Date → toISOString gave for the same text.
  it.each([
    '2026-03-01 08:00:00+00', '2026-03-01 08:00:00.1+00', '2026-03-01 08:00:00.12+00', '2026-03-01 08:00:00.123+00',
    '2026-03-01 08:00:00.1234+00', '2026-03-01 08:00:00.12345+00', '2026-03-01 08:00:00.123456+00', '2026-03-01 08:00:00.999999+00',
    '2026-03-01 08:00:00.000001+00', '0099-06-01 00:00:00+00', '0001-01-01 00:00:00+00', '9999-12-31 23:59:59.999999+00',
    // not the fast form: pg's parser decides, as before
    '2026-03-01 09:00:00+01', '2026-03-01 03:30:00-04:30', '2026-03-01 08:00:00.5+05:30', '0001-12-31 23:00:00+00 BC', '12026-03-01 08:00:00+00',
  ])('%s reads as pg + toISOString read it', (text) => {
    expect(isoFromTimestamptz(text)).toBe(pgParse(text).toISOString());
  });

  it('every millisecond and fraction length the fast form takes agrees with pg + toISOString', () => {
    for (let k = 0; k < 1_000_000; k += 997) {
      const f = String(k).padStart(6, '0');
      for (const len of [1, 2, 3, 4, 5, 6]) {
        const text = `2026-07-15 23:59:58.${f.slice(0, len)}+00`;
        expect(isoFromTimestamptz(text)).toBe(pgParse(text).toISOString());
      }
    }
  });

  it('is the parser READ_TYPES gives for timestamptz only', () => {
    expect(READ_TYPES.getTypeParser(1184, 'text')).toBe(isoFromTimestamptz);
    expect(READ_TYPES.getTypeParser(1700, 'text')).toBe(types.getTypeParser(1700, 'text'));
    expect(READ_TYPES.getTypeParser(3802, 'text')).toBe(types.getTypeParser(3802, 'text'));
  });
});
