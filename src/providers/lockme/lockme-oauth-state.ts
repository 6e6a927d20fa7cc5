import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from '../../common/crypto.util';

/** How long an authorize link stays usable: the admin clicks through Lockme's consent page in between. */
export const STATE_TTL_MS = 10 * 60 * 1000;

interface StatePayload {
  /** connection id */
  c: string;
  /** expiry, ms since epoch */
  e: number;
  /** nonce (256 bits): the key of the stored, single-use state (only its hash is stored) */
  n: string;
}

/** A purpose-bound key: the encryption key itself never signs anything else this way. */
function stateKey(secret: Buffer): Buffer {
  return createHmac('sha256', secret).update('lockme-oauth-state').digest();
}

function sign(body: string, secret: Buffer): string {
  return createHmac('sha256', stateKey(secret)).update(body).digest('base64url');
}

/** A fresh state nonce: 32 random bytes, base64url. */
export function newStateNonce(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * OAuth `state` for the connect flow: `base64url(JSON{c, e, n}).hmac`; it names the connection and expires
 * after STATE_TTL_MS. The signature lets the callback refuse a forged or expired state without a query; what
 * makes it single-use and bound to the browser that started the flow is the row stored under the nonce's
 * hash (LockmeOAuthStateStore).
 */
export function signState(connectionId: string, secret: Buffer, nowMs = Date.now(), ttlMs = STATE_TTL_MS, nonce = newStateNonce()): string {
  const payload: StatePayload = { c: connectionId, e: nowMs + ttlMs, n: nonce };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${sign(body, secret)}`;
}

export type StateCheck = { ok: true; connectionId: string; nonce: string } | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

export function verifyState(state: unknown, secret: Buffer, nowMs = Date.now()): StateCheck {
  if (typeof state !== 'string' || state.length > 1000) return { ok: false, reason: 'malformed' };
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(state);
  if (!m) return { ok: false, reason: 'malformed' };
  if (!safeEqual(sign(m[1], secret), m[2])) return { ok: false, reason: 'bad-signature' };
  let payload: Partial<StatePayload>;
  try {
    payload = JSON.parse(Buffer.from(m[1], 'base64url').toString('utf8')) as Partial<StatePayload>;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof payload?.c !== 'string' || typeof payload.e !== 'number' || typeof payload.n !== 'string' || payload.n === '') {
    return { ok: false, reason: 'malformed' };
  }
  if (payload.e <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, connectionId: payload.c, nonce: payload.n };
}
