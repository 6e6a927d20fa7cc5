import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { describeError } from '../database/database-errors';
import { asLeader, poolOf } from '../database/leader-lock';

const EVERY_MS = 60 * 60 * 1000;
const BATCH = 10_000;

/**
 * Deletes changes older than CHANGES_RETENTION_DAYS. The cut is a feed position, not a time: the horizon moves
 * first to the newest old change (so a cursor before it answers 410 from then on), then everything up to it goes,
 * so no retained change ever sits behind the horizon where no cursor could reach it. Runs in one process at a time
 * (advisory lock `changes-retention`, as the inbox retention): the others skip that round.
 */
@Injectable()
export class ChangesRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChangesRetention');
  private timer: NodeJS.Timeout | null = null;

  constructor(@InjectDataSource() private readonly dataSource: DataSource, private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    if (this.config.env.WORKER !== 'on') return;
    this.timer = setInterval(() => void this.prune().catch((e) => this.logger.warn({ err: describeError(e) }, 'change retention failed')), EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Returns the number of changes deleted; 0 while another process is pruning. */
  async prune(now = new Date()): Promise<number> {
    return (await asLeader(poolOf(this.dataSource), 'changes-retention', () => this.pruneNow(now))) ?? 0;
  }

  private async pruneNow(now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.env.CHANGES_RETENTION_DAYS * 24 * 3600 * 1000);
    const [cut] = await this.dataSource.query(
      `SELECT xid::text AS xid, seq::text AS seq FROM changes
        WHERE changed_at < $1 AND xid < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint
        ORDER BY xid DESC, seq DESC LIMIT 1`, [cutoff]);
    if (!cut) return 0;
    await this.dataSource.query(
      `UPDATE changes_horizon SET pruned_xid = $1, pruned_seq = $2 WHERE id = 1 AND (pruned_xid, pruned_seq) < ($1::bigint, $2::bigint)`,
      [cut.xid, cut.seq]);
    let deleted = 0;
    for (;;) {
      const [, n] = (await this.dataSource.query(
        `DELETE FROM changes WHERE (xid, seq) IN (
           SELECT xid, seq FROM changes WHERE (xid, seq) <= ($1::bigint, $2::bigint) ORDER BY xid, seq LIMIT ${BATCH})`,
        [cut.xid, cut.seq])) as [unknown[], number];
      deleted += n;
      if (n < BATCH) break;
    }
    if (deleted > 0) this.logger.log({ deleted }, 'changes past retention deleted');
    return deleted;
  }
}
