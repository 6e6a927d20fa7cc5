import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { asLeader, poolOf } from '../database/leader-lock';

/**
 * Table growth of the inbox: finished events move from the queue to the archive (partitioned by day), the
 * archive's days past retention are dropped whole, idle item rows and settled hold causes are deleted
 * (migrations/*-EventArchive.ts).
 */
@Injectable()
export class EventRetentionRepository {
  private readonly pool: Pool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.pool = poolOf(dataSource);
  }

  /** Moves done / ignored events received before `cutoff` to the archive, in batches; the number moved. */
  async archiveFinishedBefore(cutoff: Date, batch = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const { rows } = await this.pool.query<{ n: number }>(`SELECT isq_archive($1, $2) AS n`, [cutoff, batch]);
      total += rows[0].n;
      // Fewer than a batch: nothing left, or what is left is in items intake holds now (the next round takes it).
      if (rows[0].n < batch) return total;
    }
  }

  /** Drops the archive's days that ended before `cutoff`; the number of days dropped. */
  async dropArchivedBefore(cutoff: Date): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(`SELECT isq_drop_archive_before($1) AS n`, [cutoff]);
    return rows[0].n;
  }

  /** The archive's partitions for today and the next days, so a move at midnight never waits for DDL. */
  async prepareArchiveDays(days: number): Promise<void> {
    await this.pool.query(
      `SELECT isq_archive_partition(((now() AT TIME ZONE 'UTC')::date + d)) FROM generate_series(0, $1::int) d`, [days]);
  }

  /**
   * Rows of idle items (nothing in line). Safe at any time: intake re-creates a row it finds gone, and an
   * idle item has no pending last event to coalesce into.
   */
  async deleteIdleItems(batch = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const { rowCount } = await this.pool.query(
        `DELETE FROM event_partitions WHERE head_seq IS NULL AND key IN (
           SELECT key FROM event_partitions WHERE head_seq IS NULL LIMIT $1 FOR UPDATE SKIP LOCKED)`,
        [batch],
      );
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < batch) return total;
    }
  }

  /**
   * Hold causes released more than a day ago (a claim lives minutes, so no settle can still need to see that
   * release) and those never released: a later hold or release writes its row again.
   */
  async deleteSettledCauses(): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM hold_causes WHERE released_at IS NULL OR released_at < now() - interval '1 day'`,
    );
    return rowCount ?? 0;
  }

  /** Runs `fn` only if no other process is running housekeeping `name` now (src/database/leader-lock.ts). */
  asLeader<T>(name: string, fn: () => Promise<T>): Promise<T | null> {
    return asLeader(this.pool, name, fn);
  }
}
