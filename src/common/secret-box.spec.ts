import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box';
import { safeEqual } from './crypto.util';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips a value and never stores it in clear', () => {
    const sealed = box.seal({ refreshToken: 'very-secret-refresh' });
    expect(sealed.toString('utf8')).not.toContain('very-secret-refresh');
    expect(box.open(sealed)).toEqual({ refreshToken: 'very-secret-refresh' });
  });

  it('rejects tampered ciphertext', () => {
    const sealed = box.seal('x');
    sealed[sealed.length - 1] ^= 1;
    expect(() => box.open(sealed)).toThrow();
  });

  it('rejects a different key', () => {
    expect(() => new SecretBox(randomBytes(32)).open(box.seal('x'))).toThrow();
  });
});

describe('safeEqual', () => {
  it('compares equal and unequal strings', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });
});
