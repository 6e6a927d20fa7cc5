import { Injectable } from '@nestjs/common';
import { hmacSha256Hex, safeEqual } from '../../common/crypto.util';
import { AppConfig } from '../../config/app-config';

const LOWER_HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * CONTRACT.md section 4: HMAC-SHA256 (lowercase hex) over `JSON.stringify` of the body without `hash`,
 * members in the order received (object rest keeps insertion order, which JSON.parse preserves).
 */
export function syncarooHash(body: Record<string, unknown>, secret: string): string {
  const { hash: _hash, ...signed } = body;
  return hmacSha256Hex(secret, JSON.stringify(signed));
}

/** Missing, malformed or wrong hash → false; the comparison is constant time. */
export function verifySyncarooHash(body: unknown, secret: string): boolean {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const given = (body as Record<string, unknown>).hash;
  if (typeof given !== 'string' || !LOWER_HEX_SHA256.test(given)) return false;
  return safeEqual(given, syncarooHash(body as Record<string, unknown>, secret));
}

@Injectable()
export class SyncarooHashVerifier {
  constructor(private readonly config: AppConfig) {}

  verify(body: unknown): boolean {
    const secret = this.config.env.SYNCAROO_WEBHOOK_SECRET;
    return !!secret && verifySyncarooHash(body, secret);
  }
}
