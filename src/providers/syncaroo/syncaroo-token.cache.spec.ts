import { renewalMargin, TokenCache } from './syncaroo-token.cache';

describe('TokenCache', () => {
  it('reuses the token until shortly before expiry, then renews', async () => {
    let now = 0;
    let n = 0;
    const cache = new TokenCache(async () => ({ token: `t${++n}`, expiresInMs: 100_000 }), () => now);
    expect(await cache.get()).toBe('t1');
    now = 100_000 - renewalMargin(100_000) - 1;
    expect(await cache.get()).toBe('t1');
    now += 1;
    expect(await cache.get()).toBe('t2');
  });

  it('renews once for concurrent callers', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const cache = new TokenCache(async () => {
      calls += 1;
      await gate;
      return { token: 'shared', expiresInMs: 60_000 };
    });
    const all = Promise.all([cache.get(), cache.get(), cache.get()]);
    release();
    expect(await all).toEqual(['shared', 'shared', 'shared']);
    expect(calls).toBe(1);
  });

  it('forgets a token the API rejected, but not a newer one', async () => {
    let n = 0;
    const cache = new TokenCache(async () => ({ token: `t${++n}`, expiresInMs: 60_000 }));
    expect(await cache.get()).toBe('t1');
    cache.invalidate('t1');
    expect(await cache.get()).toBe('t2');
    cache.invalidate('t1');
    expect(await cache.get()).toBe('t2');
  });

  it('lets the next caller try again after a failed renewal', async () => {
    let n = 0;
    const cache = new TokenCache(async () => {
      n += 1;
      if (n === 1) throw new Error('token endpoint down');
      return { token: 'ok', expiresInMs: 60_000 };
    });
    await expect(cache.get()).rejects.toThrow('token endpoint down');
    expect(await cache.get()).toBe('ok');
  });

  it('keeps the margin short for short-lived tokens', () => {
    expect(renewalMargin(3_600_000)).toBe(60_000);
    expect(renewalMargin(1000)).toBe(100);
  });
});
