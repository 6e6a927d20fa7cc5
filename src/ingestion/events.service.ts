import { Injectable, Logger } from '@nestjs/common';
import { parseZonedTimestamp } from '../inventory/dto/query-values';
import type { Tenant } from '../auth/principal';
import { conflict, DomainError, notFound } from '../common/domain.error';
import { decodeCursor, toPage } from '../common/pagination';
import type { EventDetailView, EventListQuery, EventPage, EventView } from './dto/event.dto';
import { toEventDetailView, toEventView } from './event.mapper';
import { EventsRepository } from './events.repository';
import { WorkerService } from './worker.service';

@Injectable()
export class EventsService {
  private readonly logger = new Logger('Events');

  constructor(
    private readonly events: EventsRepository,
    private readonly worker: WorkerService,
  ) {}

  async list(tenant: Tenant, q: EventListQuery): Promise<EventPage> {
    const limit = q.limit ?? 100;
    const [afterSeq] = (decodeCursor(q.cursor, ['string']) ?? [undefined]) as [string | undefined];
    if (afterSeq !== undefined && !/^\d{1,19}$/.test(afterSeq)) return { items: [], nextCursor: null };
    const rows = await this.events.list(tenant, {
      provider: q.provider, status: q.status, connectionId: q.connectionId, afterSeq,
      receivedFrom: parseZonedTimestamp(q.receivedFrom) ?? undefined, receivedTo: parseZonedTimestamp(q.receivedTo) ?? undefined,
    }, limit + 1);
    return toPage(rows, limit, toEventView, (r) => [r.seq]);
  }

  async get(tenant: Tenant, id: string): Promise<EventDetailView> {
    const row = await this.events.findById(tenant, id);
    if (!row) throw notFound('event', id);
    return toEventDetailView(row);
  }

  /**
   * Runs an event again. A later event of its item already done means this one would apply old data over
   * new: 409 `stale-replay` unless `force`.
   */
  async replay(tenant: Tenant, id: string, force = false): Promise<EventView> {
    const outcome = await this.events.replay(tenant, id, force);
    if (outcome === 'not-found') throw notFound('event', id);
    if (outcome === 'stale') {
      throw new DomainError('stale-replay', 409,
        'a later event of the same item is already done: replaying this one would apply old data over new (add ?force=true to replay anyway)');
    }
    if (outcome !== 'replayed') throw conflict(`event is ${outcome}; only finished, failed, held or dead events can be replayed`);
    this.worker.poke();
    return toEventView((await this.events.findById(tenant, id))!);
  }

  /** Every dead event (of a provider) again; those a later done event made stale stay dead and are counted. */
  async replayDead(provider: string | null): Promise<{ replayed: number; skippedStale: number }> {
    const { replayed, stale } = await this.events.replayDead(provider);
    this.worker.poke();
    return { replayed, skippedStale: stale };
  }

  /**
   * For a repair queued in an item's own partition (a resync's per-item event): whether a webhook about the
   * item arrived at or after `since` (the listing's time) and ran before it; then the listing is older news.
   */
  itemChangedSince(eventId: string, since: Date, ignoreTypes: string[]): Promise<boolean> {
    return this.events.itemChangedSince(eventId, since, ignoreTypes);
  }

  /** Called by the actions that remove a hold's cause (connection created, mapped, re-enabled, authorized). */
  async releaseCauses(causes: string[]): Promise<number> {
    return this.logRelease(await this.events.releaseHeld(causes), { causes });
  }

  /** Every held event of a provider (an operator's blunt tool; actions name their causes instead). */
  async releaseHeld(provider: string): Promise<number> {
    return this.logRelease(await this.events.releaseHeld([], provider), { provider });
  }

  private logRelease(released: number, what: Record<string, unknown>): number {
    if (released > 0) {
      this.logger.log({ ...what, released }, 'held events released');
      this.worker.poke();
    }
    return released;
  }
}
