import { Injectable, Logger } from '@nestjs/common';
import { ApiKeysRepository, StoredKey } from './api-keys.repository';
import { hashApiKey, KEY_PATTERN } from './api-key.util';

/** How long a verified key is trusted without a database read: a key revoked in another process stops within this (4 s: margin under the 5 s the contract allows). */
export const KEY_CACHE_MS = 4000;
const TOUCH_EVERY_MS = 30_000;
const MAX_CACHED = 10_000;

/**
 * Verifies `isk_` keys against their stored SHA-256 and caches the answer briefly, so a request costs a hash and a
 * map lookup, not a round trip. Unknown keys are not cached (a flood of random keys cannot fill memory).
 */
@Injectable()
export class ApiKeyVerifier {
  private readonly logger = new Logger('ApiKeys');
  private readonly cache = new Map<string, { key: StoredKey; until: number }>();
  private readonly touchedAt = new Map<string, number>();

  constructor(private readonly repo: ApiKeysRepository) {}

  async verify(presented: string): Promise<StoredKey | null> {
    if (!KEY_PATTERN.test(presented)) return null;
    const hash = hashApiKey(presented);
    const now = Date.now();
    let entry = this.cache.get(hash);
    if (!entry || entry.until <= now) {
      const key = await this.repo.findByHash(hash);
      if (!key) {
        this.cache.delete(hash);
        return null;
      }
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      entry = { key, until: now + KEY_CACHE_MS };
      this.cache.set(hash, entry);
    }
    const { key } = entry;
    if (key.expiresAt && key.expiresAt.getTime() <= now) return null;
    this.touch(key, now);
    return key;
  }

  /** This process revoked the key: no grace period here. */
  forget(keyHash: string): void {
    this.cache.delete(keyHash);
  }

  private touch(key: StoredKey, now: number): void {
    const last = Math.max(this.touchedAt.get(key.id) ?? 0, key.lastUsedAt?.getTime() ?? 0);
    if (now - last < TOUCH_EVERY_MS) return;
    if (this.touchedAt.size >= MAX_CACHED) this.touchedAt.clear();
    this.touchedAt.set(key.id, now);
    this.repo.touch(key.id).catch((e: Error) => this.logger.warn({ keyId: key.id, err: e.message }, 'lastUsedAt not written'));
  }
}
