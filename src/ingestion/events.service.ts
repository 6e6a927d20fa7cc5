import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { conflict, notFound } from '../common/domain.error';
import { decodeCursor, toPage } from '../common/pagination';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../ops/metrics.service';
import type { EventDetailView, EventListQuery, EventPage, EventView } from './dto/event.dto';
import { toEventDetailView, toEventView } from './event.mapper';
import { EventsRepository } from './events.repository';
import { WorkerService } from './worker.service';

const RETENTION_EVERY_MS = 60 * 60 * 1000;

@Injectable()
export class EventsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Events');
  private retentionTimer?: NodeJS.Timeout;

  constructor(
    private readonly events: EventsRepository,
    private readonly worker: WorkerService,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const { queueDepth, oldestPendingAge } = this.metrics;
    const events = this.events;
    // Queue gauges are read from PostgreSQL at scrape time, so every process reports the shared queue.
    (queueDepth as unknown as { collect: () => Promise<void> }).collect = async () => {
      const stats = await events.queueStats();
      queueDepth.reset();
      oldestPendingAge.reset();
      for (const s of stats) {
        queueDepth.set({ provider: s.provider }, s.depth);
        oldestPendingAge.set({ provider: s.provider }, s.oldest_seconds);
      }
    };
    if (this.config.env.WORKER === 'on') {
      this.retentionTimer = setInterval(() => void this.purge(), RETENTION_EVERY_MS);
      this.retentionTimer.unref();
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.retentionTimer);
  }

  async purge(): Promise<number> {
    const cutoff = new Date(Date.now() - this.config.env.EVENT_RETENTION_DAYS * 24 * 3600 * 1000);
    try {
      const deleted = await this.events.deleteFinishedBefore(cutoff);
      if (deleted > 0) this.logger.log({ deleted, cutoff: cutoff.toISOString() }, 'retention: finished events deleted');
      return deleted;
    } catch (e) {
      this.logger.error({ err: (e as Error).message }, 'retention failed');
      return 0;
    }
  }

  async list(q: EventListQuery): Promise<EventPage> {
    const limit = q.limit ?? 100;
    const [afterSeq] = (decodeCursor(q.cursor, ['string']) ?? [undefined]) as [string | undefined];
    if (afterSeq !== undefined && !/^\d{1,19}$/.test(afterSeq)) return { items: [], nextCursor: null };
    const rows = await this.events.list({ provider: q.provider, status: q.status, connectionId: q.connectionId, afterSeq }, limit + 1);
    return toPage(rows, limit, toEventView, (r) => [r.seq]);
  }

  async get(id: string): Promise<EventDetailView> {
    const row = await this.events.findById(id);
    if (!row) throw notFound('event', id);
    return toEventDetailView(row);
  }

  async replay(id: string): Promise<EventView> {
    const row = await this.events.replay(id);
    if (!row) {
      const existing = await this.events.findById(id);
      if (!existing) throw notFound('event', id);
      throw conflict(`event is ${existing.status}; only finished, failed, held or dead events can be replayed`);
    }
    this.worker.poke();
    return toEventView(row);
  }

  async replayDead(provider: string | null): Promise<{ replayed: number }> {
    const replayed = await this.events.replayDead(provider);
    this.worker.poke();
    return { replayed };
  }

  /** Called by the admin actions that remove a hold's cause (connection created, mapped, re-enabled). */
  async releaseHeld(provider: string, connectionId?: string): Promise<number> {
    const released = await this.events.releaseHeld(provider, connectionId);
    if (released > 0) {
      this.logger.log({ provider, connectionId, released }, 'held events released');
      this.worker.poke();
    }
    return released;
  }
}
