import { signState, STATE_TTL_MS, verifyState } from './lockme-oauth-state';

const key = Buffer.alloc(32, 7);
const otherKey = Buffer.alloc(32, 8);
const id = '0b9c7a52-3f0e-4d0c-9a51-2b7f3c7b1e11';

describe('Lockme OAuth state', () => {
  it('round-trips the connection id while fresh', () => {
    const now = Date.UTC(2026, 0, 1);
    const state = signState(id, key, now);
    expect(verifyState(state, key, now + 1000)).toEqual({ ok: true, connectionId: id });
    expect(verifyState(state, key, now + STATE_TTL_MS - 1)).toEqual({ ok: true, connectionId: id });
  });

  it('differs per call (nonce) and is URL-safe', () => {
    const a = signState(id, key);
    const b = signState(id, key);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_.-]+$/);
  });

  it('rejects an expired state', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(verifyState(signState(id, key, now), key, now + STATE_TTL_MS)).toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects a state signed with another key or tampered with', () => {
    expect(verifyState(signState(id, otherKey), key)).toEqual({ ok: false, reason: 'bad-signature' });
    const [body, mac] = signState(id, key).split('.');
    const forged = Buffer.from(JSON.stringify({ c: 'someone-else', e: Date.now() + 60_000, n: 'x' })).toString('base64url');
    expect(verifyState(`${forged}.${mac}`, key)).toEqual({ ok: false, reason: 'bad-signature' });
    const flipped = mac.slice(0, -1) + (mac.endsWith('A') ? 'B' : 'A');
    expect(verifyState(`${body}.${flipped}`, key)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects garbage', () => {
    for (const s of [undefined, null, 42, '', 'abc', 'a.b', `${'x'.repeat(2000)}.y`, ['a']]) {
      expect(verifyState(s, key).ok).toBe(false);
    }
  });
});
