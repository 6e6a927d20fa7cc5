import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { describeError } from '../database/database-errors';
import { MetricsService } from '../ops/metrics.service';
import { EventsRepository } from './events.repository';

const EVERY_MS = 15_000;

/**
 * Queue gauges (events by provider and status, oldest waiting event) are counted by one process at a time,
 * every 15 s, under an advisory lock — not on every scrape of every process. A process that did not count
 * this round reports none, so summing across processes never double-counts; alert on `max by (...)`. The same
 * leader analyses the queue tables when a burst has outgrown their statistics (EventsRepository.analyzeQueueIfStale).
 */
@Injectable()
export class QueueGaugesService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('QueueGauges');
  private timer?: NodeJS.Timeout;
  private inFlight: Promise<boolean> | null = null;

  constructor(private readonly events: EventsRepository, private readonly metrics: MetricsService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tracked(), EVERY_MS);
    this.timer.unref();
    void this.tracked();
  }

  /** Before the database pool closes: a count still running would end on a closed pool (or a stopped database). */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
  }

  private tracked(): Promise<boolean> {
    const p = this.refresh().finally(() => {
      if (this.inFlight === p) this.inFlight = null;
    });
    this.inFlight = p;
    return p;
  }

  /** Counts now if no other process is counting; true when this process counted. */
  async refresh(): Promise<boolean> {
    const { eventsByStatus, queueDepth, oldestPendingAge } = this.metrics;
    try {
      const stats = await this.events.asLeader('queue-gauges', async () => {
        const counts = await this.events.queueCounts();
        await this.events.analyzeQueueIfStale(counts.waiting.reduce((n, w) => n + w.depth, 0));
        return counts;
      });
      eventsByStatus.reset();
      queueDepth.reset();
      oldestPendingAge.reset();
      if (!stats) return false;
      for (const s of stats.byStatus) eventsByStatus.set({ provider: s.provider, status: s.status }, s.n);
      for (const s of stats.waiting) {
        queueDepth.set({ provider: s.provider }, s.depth);
        oldestPendingAge.set({ provider: s.provider }, s.oldest_seconds);
      }
      return true;
    } catch (e) {
      this.logger.warn({ err: describeError(e) }, 'queue gauges not computed');
      return false;
    }
  }
}
