import { isValidTimeZone, wallTimeToUtc, zoneOffsetMinutes } from './zoned-time';

const utc = (date: string, time: string, tz: string) => wallTimeToUtc(date, time, tz)?.toISOString() ?? null;

describe('wallTimeToUtc', () => {
  it('reads Warsaw winter (+01:00) and summer (+02:00) time', () => {
    expect(utc('2026-12-05', '18:30:00', 'Europe/Warsaw')).toBe('2026-12-05T17:30:00.000Z');
    expect(utc('2026-07-01', '10:00:00', 'Europe/Warsaw')).toBe('2026-07-01T08:00:00.000Z');
    expect(utc('2026-07-01', '10:00', 'Europe/Warsaw')).toBe('2026-07-01T08:00:00.000Z');
  });

  it('handles midnight crossing into the previous UTC day', () => {
    expect(utc('2026-01-01', '00:30:00', 'Europe/Warsaw')).toBe('2025-12-31T23:30:00.000Z');
    expect(utc('2026-01-01', '00:00:00', 'UTC')).toBe('2026-01-01T00:00:00.000Z');
  });

  it('moves a time in the spring-forward gap forward (2026-03-29 02:30 Warsaw does not exist)', () => {
    expect(utc('2026-03-29', '01:59:59', 'Europe/Warsaw')).toBe('2026-03-29T00:59:59.000Z');
    expect(utc('2026-03-29', '02:30:00', 'Europe/Warsaw')).toBe('2026-03-29T01:30:00.000Z'); // = 03:30 CEST
    expect(utc('2026-03-29', '03:00:00', 'Europe/Warsaw')).toBe('2026-03-29T01:00:00.000Z');
  });

  it('takes the first of two occurrences when clocks go back (2026-10-25 02:30 Warsaw)', () => {
    expect(utc('2026-10-25', '02:30:00', 'Europe/Warsaw')).toBe('2026-10-25T00:30:00.000Z'); // CEST, the earlier one
    expect(utc('2026-10-25', '03:00:00', 'Europe/Warsaw')).toBe('2026-10-25T02:00:00.000Z');
    expect(utc('2026-10-25', '01:59:00', 'Europe/Warsaw')).toBe('2026-10-24T23:59:00.000Z');
  });

  it('works for zones west of UTC and with half-hour offsets', () => {
    expect(utc('2026-03-08', '02:30:00', 'America/New_York')).toBe('2026-03-08T07:30:00.000Z'); // gap → 03:30 EDT
    expect(utc('2026-11-01', '01:30:00', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z'); // first = EDT
    expect(utc('2026-06-01', '12:00:00', 'Asia/Kolkata')).toBe('2026-06-01T06:30:00.000Z');
  });

  it('returns null for impossible dates and times', () => {
    expect(utc('2026-02-30', '10:00:00', 'Europe/Warsaw')).toBeNull();
    expect(utc('2026-13-01', '10:00:00', 'Europe/Warsaw')).toBeNull();
    expect(utc('2026-12-05', '24:00:00', 'Europe/Warsaw')).toBeNull();
    expect(utc('2026-12-05', '10:60', 'Europe/Warsaw')).toBeNull();
    expect(utc('05.12.2026', '10:00:00', 'Europe/Warsaw')).toBeNull();
    expect(utc('2026-12-05', '', 'Europe/Warsaw')).toBeNull();
  });

  it('throws for an unknown zone; isValidTimeZone tells beforehand', () => {
    expect(() => wallTimeToUtc('2026-12-05', '10:00:00', 'Mars/Olympus')).toThrow(RangeError);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('Europe/Warsaw')).toBe(true);
  });

  it('zoneOffsetMinutes gives the offset in force at an instant', () => {
    expect(zoneOffsetMinutes(Date.UTC(2026, 0, 15), 'Europe/Warsaw')).toBe(60);
    expect(zoneOffsetMinutes(Date.UTC(2026, 6, 15), 'Europe/Warsaw')).toBe(120);
    expect(zoneOffsetMinutes(Date.UTC(2026, 6, 15, 0, 0, 0, 500), 'America/New_York')).toBe(-240);
  });
});
