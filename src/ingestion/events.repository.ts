import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { Tenant } from '../auth/principal';
import { asLeader, poolOf } from '../database/leader-lock';
import type { StoredEventRow } from './event-row';

/** Events still to run (the backlog). */
export const ACTIVE = `('pending', 'failed', 'processing')`;

/** The earlier event of the item that an event in line waits behind: the item's head, when that is not itself. */
const WAITING_FOR = `(SELECT h.id FROM event_partitions p JOIN inbound_events h ON h.seq = p.head_seq
                       WHERE p.key = e.partition_key AND e.status IN ('pending', 'failed') AND h.seq < e.seq) AS waiting_for`;

/** Account scoping of the inbox: an event is its connection's account's; events of no connection are global only. */
export const OWNED = (param: string) => `(${param}::uuid IS NULL OR e.connection_id IN (SELECT c.id FROM connections c WHERE c.account_id = ${param}::uuid))`;

export type ReplayOutcome = 'replayed' | 'stale' | 'not-found' | StoredEventRow['status'];

/**
 * The inbox as admins see and repair it: listing, detail, replay, releasing holds; gauges. Reads of finished
 * events go through inbound_events_all (the queue and its archive).
 */
@Injectable()
export class EventsRepository {
  private readonly pool: Pool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.pool = poolOf(dataSource);
  }

  /**
   * Puts held events back in line: those held for one of `causes`, and with `provider` every held event of
   * that provider. A worker about to hold for one of them, on a state it read before this commits, keeps
   * its event pending instead (isq_settle), so no release is lost to timing.
   */
  async releaseHeld(causes: string[], provider: string | null = null): Promise<number> {
    const { rows } = await this.pool.query<{ n: number | null }>(`SELECT isq_release_held($1::text[], $2::text) AS n`, [causes, provider]);
    return rows[0]?.n ?? 0;
  }

  /** Replay: a finished, failed, held or dead event runs again from a clean attempt count. */
  async replay(tenant: Tenant, id: string, force: boolean): Promise<ReplayOutcome> {
    if (tenant.accountId !== null && !(await this.findById(tenant, id))) return 'not-found';
    const { rows } = await this.pool.query<{ r: ReplayOutcome }>(`SELECT isq_replay($1::uuid, $2::boolean) AS r`, [id, force]);
    return rows[0].r;
  }

  async replayDead(provider: string | null): Promise<{ replayed: number; stale: number }> {
    const { rows } = await this.pool.query<{ replayed: number; stale: number }>(`SELECT * FROM isq_replay_dead($1::text)`, [provider]);
    return rows[0];
  }

  /** Whether an earlier event of `eventId`'s item, not of `ignoreTypes`, was received at or after `since`. */
  async itemChangedSince(eventId: string, since: Date, ignoreTypes: string[]): Promise<boolean> {
    const { rows } = await this.pool.query<{ changed: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM inbound_events me JOIN inbound_events_all o ON o.partition_key = me.partition_key AND o.seq < me.seq
          WHERE me.id = $1 AND o.received_at >= $2 AND o.event_type <> ALL($3::text[])) AS changed`,
      [eventId, since, ignoreTypes],
    );
    return rows[0].changed;
  }

  async findById(tenant: Tenant, id: string): Promise<StoredEventRow | null> {
    const { rows } = await this.pool.query<StoredEventRow>(
      `SELECT e.*, ${WAITING_FOR} FROM inbound_events_all e WHERE e.id = $1 AND ${OWNED('$2')}`, [id, tenant.accountId]);
    return rows[0] ?? null;
  }

  async list(tenant: Tenant, filter: { provider?: string; status?: string; connectionId?: string; afterSeq?: string; receivedFrom?: Date; receivedTo?: Date }, limit: number): Promise<StoredEventRow[]> {
    const { rows } = await this.pool.query<StoredEventRow>(
      `SELECT e.id, e.seq, e.provider, e.connection_id, e.event_type, e.status, e.partition_key, e.received_at, e.processed_at,
              e.attempts, e.next_attempt_at, e.last_error, ${WAITING_FOR}
         FROM inbound_events_all e
        WHERE ($1::text IS NULL OR e.provider = $1) AND ($2::text IS NULL OR e.status = $2)
          AND ($3::uuid IS NULL OR e.connection_id = $3) AND ($4::bigint IS NULL OR e.seq < $4) AND ${OWNED('$6')}
          AND ($7::timestamptz IS NULL OR e.received_at >= $7) AND ($8::timestamptz IS NULL OR e.received_at < $8)
        ORDER BY e.seq DESC
        LIMIT $5`,
      [filter.provider ?? null, filter.status ?? null, filter.connectionId ?? null, filter.afterSeq ?? null, limit, tenant.accountId,
        filter.receivedFrom ?? null, filter.receivedTo ?? null],
    );
    return rows;
  }

  /** Runs `fn` only if no other process is running housekeeping `name` now (src/database/leader-lock.ts). */
  asLeader<T>(name: string, fn: () => Promise<T>): Promise<T | null> {
    return asLeader(this.pool, name, fn);
  }

  /** Events not finished for good, by provider and status; waiting ones with the age of the oldest. */
  async queueCounts(): Promise<{
    byStatus: Array<{ provider: string; status: string; n: number }>;
    waiting: Array<{ provider: string; depth: number; oldest_seconds: number }>;
  }> {
    const byStatus = await this.pool.query<{ provider: string; status: string; n: number }>(
      `SELECT provider, status, count(*)::int AS n FROM inbound_events
        WHERE status IN ('pending', 'failed', 'processing', 'held', 'dead') GROUP BY provider, status`,
    );
    const waiting = await this.pool.query<{ provider: string; depth: number; oldest_seconds: number }>(
      `SELECT provider, count(*)::int AS depth, COALESCE(EXTRACT(EPOCH FROM now() - min(received_at)), 0)::float AS oldest_seconds
         FROM inbound_events WHERE status IN ${ACTIVE} GROUP BY provider`,
    );
    return { byStatus: byStatus.rows, waiting: waiting.rows };
  }

  /**
   * ANALYZE the queue's tables when their statistics describe a table smaller than half of today's backlog (a
   * burst that autovacuum has not analysed yet). The queue functions keep one plan per session, and a plan made
   * on a near-empty queue may scan a whole index for a 16-row settle; the ANALYZE invalidates those plans in every
   * session. True when it ran.
   */
  async analyzeQueueIfStale(waiting: number): Promise<boolean> {
    if (waiting < 1000) return false;
    const { rows } = await this.pool.query<{ n: number }>(`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'inbound_events'::regclass`);
    if (waiting <= 2 * Math.max(0, rows[0]?.n ?? 0)) return false;
    await this.pool.query('ANALYZE inbound_events, event_partitions');
    return true;
  }
}
