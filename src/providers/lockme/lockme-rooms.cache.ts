import { Injectable, Logger } from '@nestjs/common';
import { LockmeApiClient, LockmeRoom } from './lockme-api.client';
import { LockmeTokenStore } from './lockme-token.store';

const TTL_MS = 5 * 60 * 1000;
/** A room missing from a cached list may be new: look again, but not more often than this. */
const MISS_REFETCH_MS = 30 * 1000;

interface Entry {
  at: number;
  rooms: Map<string, LockmeRoom>;
}

/**
 * Room names for booking messages, from `GET /rooms`, cached per connection for a few minutes.
 * Best effort: when Lockme cannot list rooms the booking is still applied, with the room unnamed.
 */
@Injectable()
export class LockmeRoomsCache {
  private readonly logger = new Logger('LockmeRooms');
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly api: LockmeApiClient, private readonly tokens: LockmeTokenStore) {}

  /** The room as Lockme lists it, or null (unknown, or the list could not be fetched). */
  async find(connectionId: string, roomId: string): Promise<LockmeRoom | null> {
    const now = Date.now();
    let entry = this.entries.get(connectionId);
    const stale = !entry || now - entry.at > TTL_MS;
    const missAndOldEnough = !!entry && !entry.rooms.has(roomId) && now - entry.at > MISS_REFETCH_MS;
    if (stale || missAndOldEnough) {
      try {
        entry = this.remember(connectionId, await this.tokens.withAccessToken(connectionId, (t) => this.api.listRooms(t)));
      } catch (e) {
        this.logger.warn({ connectionId, err: (e as Error).message }, 'Lockme rooms unavailable; room stays unnamed');
        return entry?.rooms.get(roomId) ?? null;
      }
    }
    return entry?.rooms.get(roomId) ?? null;
  }

  /** Resync fetched the list anyway: keep it. */
  remember(connectionId: string, rooms: LockmeRoom[]): Entry {
    const entry = { at: Date.now(), rooms: new Map(rooms.map((r) => [r.roomId, r])) };
    this.entries.set(connectionId, entry);
    return entry;
  }
}
