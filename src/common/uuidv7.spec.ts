import { uuidv7 } from './uuidv7';

describe('uuidv7', () => {
  it('is a version 7, variant 10 UUID carrying the time in its first 48 bits', () => {
    const id = uuidv7(Date.UTC(2026, 11, 1, 12, 0, 0));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2026, 11, 1, 12, 0, 0));
  });

  it('sorts by time across milliseconds and differs within one', () => {
    const a = uuidv7(1_000);
    const b = uuidv7(1_001);
    expect(a < b).toBe(true);
    expect(uuidv7(5)).not.toBe(uuidv7(5));
  });
});
