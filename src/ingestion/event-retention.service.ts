import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { describeError } from '../database/database-errors';
import { EventRetentionRepository } from './event-retention.repository';

const ARCHIVE_EVERY_MS = 60 * 1000;
const PURGE_EVERY_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/**
 * Keeps the queue table a few hours deep and the inbox a bounded size: every minute finished events older than
 * EVENT_ARCHIVE_AFTER_MINUTES move to the archive; every hour the archive's days older than EVENT_RETENTION_DAYS
 * are dropped, with idle item rows and settled hold causes. Each runs in one process at a time (advisory locks
 * `archive` and `retention`); the others skip that round.
 */
@Injectable()
export class EventRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly retention: EventRetentionRepository, private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    if (this.config.env.WORKER !== 'on') return;
    this.timers = [setInterval(() => void this.archive(), ARCHIVE_EVERY_MS), setInterval(() => void this.purge(), PURGE_EVERY_MS)];
    for (const t of this.timers) t.unref();
  }

  onApplicationShutdown(): void {
    for (const t of this.timers) clearInterval(t);
  }

  /** Finished events received before now − EVENT_ARCHIVE_AFTER_MINUTES to the archive; the number moved (0 if another process is at it). */
  async archive(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.env.EVENT_ARCHIVE_AFTER_MINUTES * 60 * 1000);
    try {
      const moved = await this.retention.asLeader('archive', () => this.retention.archiveFinishedBefore(cutoff));
      if (moved) this.logger.log({ moved, cutoff: cutoff.toISOString() }, 'finished events archived');
      return moved ?? 0;
    } catch (e) {
      this.logger.error({ err: describeError(e) }, 'archiving failed');
      return 0;
    }
  }

  /** Drops archived days past EVENT_RETENTION_DAYS, idle items and settled causes; the number of days dropped. */
  async purge(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.env.EVENT_RETENTION_DAYS * DAY_MS);
    try {
      const dropped = await this.retention.asLeader('retention', async () => {
        await this.retention.prepareArchiveDays(2);
        const days = await this.retention.dropArchivedBefore(cutoff);
        const idle = await this.retention.deleteIdleItems();
        await this.retention.deleteSettledCauses();
        if (days > 0 || idle > 0) this.logger.log({ archiveDaysDropped: days, idleItems: idle, cutoff: cutoff.toISOString() }, 'retention: archived days dropped');
        return days;
      });
      return dropped ?? 0;
    } catch (e) {
      this.logger.error({ err: describeError(e) }, 'retention failed');
      return 0;
    }
  }
}
