import { createHmac } from 'node:crypto';
import { newStateNonce, signState, STATE_TTL_MS, verifyState } from './lockme-oauth-state';

const key = Buffer.alloc(32, 7);
const otherKey = Buffer.alloc(32, 8);
const id = '0b9c7a52-3f0e-4d0c-9a51-2b7f3c7b1e11';

describe('Lockme OAuth state', () => {
  it('round-trips the connection id while fresh', () => {
    const now = Date.UTC(2026, 0, 1);
    const nonce = newStateNonce();
    const state = signState(id, key, now, STATE_TTL_MS, nonce);
    expect(verifyState(state, key, now + 1000)).toEqual({ ok: true, connectionId: id, nonce });
    expect(verifyState(state, key, now + STATE_TTL_MS - 1)).toEqual({ ok: true, connectionId: id, nonce });
  });

  it('carries a 256-bit nonce, fresh per state', () => {
    const a = verifyState(signState(id, key), key);
    const b = verifyState(signState(id, key), key);
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(a.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.nonce).not.toBe(b.nonce);
  });

  it('rejects a signed state without a nonce', () => {
    const body = Buffer.from(JSON.stringify({ c: id, e: Date.now() + 60_000 })).toString('base64url');
    const stateKey = createHmac('sha256', key).update('lockme-oauth-state').digest();
    const mac = createHmac('sha256', stateKey).update(body).digest('base64url');
    expect(verifyState(`${body}.${mac}`, key)).toEqual({ ok: false, reason: 'malformed' });
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
