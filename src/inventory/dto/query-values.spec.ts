import { isCalendarDate, parseZonedTimestamp } from './query-values';

describe('isCalendarDate', () => {
  it.each(['2026-02-28', '2024-02-29', '2000-02-29', '0001-01-01', '9999-12-31'])('accepts %s', (d) => expect(isCalendarDate(d)).toBe(true));
  it.each(['2026-02-29', '1900-02-29', '2026-02-30', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00', '0000-01-01', '2026-1-1',
    '2026-01-01T00:00:00Z', '', ' 2026-01-01'])('refuses %s', (d) => expect(isCalendarDate(d)).toBe(false));
  it('refuses non-strings', () => {
    expect(isCalendarDate(['2026-01-01'])).toBe(false);
    expect(isCalendarDate(undefined)).toBe(false);
  });
});

describe('parseZonedTimestamp', () => {
  it.each([
    ['2026-03-01T09:00:00Z', '2026-03-01T09:00:00.000Z'],
    ['2026-03-01T09:00Z', '2026-03-01T09:00:00.000Z'],
    ['2026-03-01T10:00:00+01:00', '2026-03-01T09:00:00.000Z'],
    ['2026-03-01T10:00:00+0100', '2026-03-01T09:00:00.000Z'],
    ['2026-03-01T04:30:00-04:30', '2026-03-01T09:00:00.000Z'],
    ['2026-03-01T09:00:00.123456789Z', '2026-03-01T09:00:00.123Z'],
    ['2026-03-01T09:00:00.5Z', '2026-03-01T09:00:00.500Z'],
    ['2026-03-01T10:00:00 01:00', '2026-03-01T09:00:00.000Z'], // '+' decoded to a space by the query string parser
    ['0099-06-01T00:00:00Z', '0099-06-01T00:00:00.000Z'],
  ])('reads %s as %s', (input, utc) => expect(parseZonedTimestamp(input)?.toISOString()).toBe(utc));

  it.each(['2026-03-01T09:00:00', '2026-03-01', '2026-02-30T00:00:00Z', '2026-03-01T24:00:00Z', '2026-03-01T09:60:00Z',
    '2026-03-01T09:00:60Z', '2026-03-01T09:00:00+19:00', '0001-01-01T00:00:00+01:00', 'yesterday', '', '1709283600'])('refuses %s', (input) => {
    expect(parseZonedTimestamp(input)).toBeNull();
  });
});
