import { nextRetryDelay, parseRetryAfter } from './retry.policy';

const SCHEDULE = [5, 30, 120, 600, 1800, 3600, 10800, 21600, 43200, 43200].map((s) => s * 1000);

describe('nextRetryDelay', () => {
  it('follows the contract schedule with ±20% jitter', () => {
    expect(nextRetryDelay(SCHEDULE, 1, undefined, () => 0)).toBe(4000);
    expect(nextRetryDelay(SCHEDULE, 1, undefined, () => 1)).toBe(6000);
    expect(nextRetryDelay(SCHEDULE, 3, undefined, () => 0.5)).toBe(120000);
  });

  it('keeps retrying for at least 8 tries over at least 24 hours', () => {
    const total = SCHEDULE.reduce((a, b) => a + b * 0.8, 0);
    expect(SCHEDULE.length).toBeGreaterThanOrEqual(8);
    expect(total).toBeGreaterThanOrEqual(24 * 3600 * 1000);
  });

  it('returns null once the schedule is spent', () => {
    expect(nextRetryDelay(SCHEDULE, 10, undefined, () => 0.5)).toBe(43200000);
    expect(nextRetryDelay(SCHEDULE, 11)).toBeNull();
  });

  it('honours a longer Retry-After but never shortens the delay', () => {
    expect(nextRetryDelay(SCHEDULE, 1, 60000, () => 0.5)).toBe(60000);
    expect(nextRetryDelay(SCHEDULE, 2, 1000, () => 0.5)).toBe(30000);
  });

  it('cuts a Retry-After longer than the last step to that step (CONTRACT 5 v2)', () => {
    expect(nextRetryDelay(SCHEDULE, 1, 3_000_000_000, () => 0.5)).toBe(43200000);
    expect(nextRetryDelay([50, 100, 200], 1, 3_000_000_000, () => 0.5)).toBe(200);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
