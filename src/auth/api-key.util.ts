import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../common/crypto.util';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const KEY_PREFIX = 'isk_';
const KEY_BODY = 40;
export const KEY_PATTERN = /^isk_[A-Za-z0-9]{40}$/;

/** `isk_` + 40 base62 characters (≈ 238 random bits), drawn without modulo bias. */
export function generateApiKey(): string {
  let body = '';
  while (body.length < KEY_BODY) {
    for (const byte of randomBytes(64)) {
      if (byte < 248 && body.length < KEY_BODY) body += ALPHABET[byte % 62];
    }
  }
  return KEY_PREFIX + body;
}

/** Shown in lists so an operator can tell keys apart; 8 characters of the random part. */
export const keyPrefix = (key: string) => key.slice(0, KEY_PREFIX.length + 8);

/** A key is high-entropy, so SHA-256 is the right hash: a slow password hash would only slow every request. */
export const hashApiKey = (key: string) => sha256Hex(key);
