import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { escapeLiteral, type Pool, type QueryResult } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { MicroBatcher } from '../common/micro-batcher';
import type { EventStatus } from './entities/inbound-event.entity';
import type { InboundEvent, IntakeEnvelope } from './provider-handler';

export interface StoredEventRow {
  id: string;
  seq: string;
  provider: string;
  connection_id: string | null;
  event_type: string;
  status: EventStatus;
  partition_key: string;
  priority: number;
  payload: Record<string, unknown>;
  headers: Record<string, string>;
  received_at: Date;
  processed_at: Date | null;
  attempts: number;
  next_attempt_at: Date | null;
  last_error: string | null;
}

export type IntakeStatus = 'accepted' | 'coalesced' | 'duplicate';

export interface IntakeResult {
  eventId: string;
  status: IntakeStatus;
  /** The earlier event, for duplicates (its status decides whether to acknowledge again). */
  existing?: StoredEventRow;
}

const ACTIVE = `('pending', 'failed', 'processing')`;

/**
 * The seq of the first event still in line (waiting, running, failed or held) in the partition of the row
 * `alias`: one probe of the partial partition index. An event may run only when it is that event.
 */
const headSeq = (alias: string) =>
  `(SELECT p.seq FROM inbound_events p
     WHERE p.partition_key = ${alias}.partition_key AND p.status IN ('pending', 'failed', 'processing', 'held')
     ORDER BY p.seq LIMIT 1)`;

/** partition_key is varchar(500): a longer key (long provider references) is replaced by its hash. */
function boundedKey(key: string): string {
  return key.length <= 500 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export function toInboundEvent(row: StoredEventRow): InboundEvent {
  return {
    id: row.id,
    provider: row.provider as InboundEvent['provider'],
    eventType: row.event_type,
    connectionId: row.connection_id,
    partitionKey: row.partition_key,
    payload: row.payload,
    headers: row.headers ?? {},
    attempts: row.attempts,
    receivedAt: row.received_at,
  };
}

/**
 * inbound_events is both the durable inbox and the queue. Hot paths use the pg pool directly
 * (one round trip each); everything is a single statement so no transaction spans application code.
 */
@Injectable()
export class EventsRepository {
  readonly pool: Pool;

  constructor(@InjectDataSource() readonly dataSource: DataSource) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
  }

  /**
   * Stores the event unless an idempotency key already exists or an identical body is still pending; the
   * promise settles only after the row is committed. Concurrent calls share statements (see `inserts`).
   */
  async insert(e: IntakeEnvelope): Promise<IntakeResult> {
    const id = await this.inserts.submit(e);
    if (id !== null) return { eventId: id, status: 'accepted' };
    // A conflict: find which rule matched. The row may have moved on in between (a pending body that
    // just started processing); then the insert is simply retried.
    if (e.idempotencyKey) {
      const dup = await this.pool.query<StoredEventRow>(
        `SELECT * FROM inbound_events WHERE provider = $1 AND idempotency_key = $2`, [e.provider, e.idempotencyKey]);
      if (dup.rows[0]) return { eventId: dup.rows[0].id, status: 'duplicate', existing: dup.rows[0] };
    }
    if (e.coalesceKey) {
      const pending = await this.pool.query<{ id: string }>(
        `SELECT id FROM inbound_events WHERE provider = $1 AND coalesce_key = $2 AND status = 'pending'`, [e.provider, e.coalesceKey]);
      if (pending.rows[0]) return { eventId: pending.rows[0].id, status: 'coalesced' };
    }
    return this.insert(e);
  }

  /**
   * Group commit: webhooks arriving while two INSERTs are running go together in the next one (one
   * multi-row statement, one commit); a lone webhook is written at once. Measured with scripts/bench.mjs.
   */
  private readonly inserts = new MicroBatcher<IntakeEnvelope, string | null>((es) => this.insertRows(es), 2, 200);

  /** The id of each row inserted, null where a unique rule (idempotency, pending coalesce) matched. */
  private async insertRows(es: IntakeEnvelope[]): Promise<Array<string | null>> {
    const ids = es.map(() => randomUUID());
    const params: unknown[] = [];
    const tuples = es.map((e, i) => {
      const b = params.length;
      params.push(ids[i], e.provider, e.connectionId, e.eventType.slice(0, 100), e.idempotencyKey ?? null, e.coalesceKey ?? null,
        boundedKey(e.partitionKey), e.priority, JSON.stringify(e.payload), e.rawBody ?? null, JSON.stringify(e.headers ?? {}));
      return `($${b + 1}::uuid, $${b + 2}, $${b + 3}::uuid, $${b + 4}, 'pending', $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}::smallint, $${b + 9}::jsonb, $${b + 10}::bytea, $${b + 11}::jsonb, now())`;
    });
    // ON CONFLICT DO NOTHING also skips the second of two identical pending bodies within one statement.
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO inbound_events (id, provider, connection_id, event_type, status, idempotency_key, coalesce_key,
                                   partition_key, priority, payload, raw, headers, next_attempt_at)
       VALUES ${tuples.join(', ')}
       ON CONFLICT DO NOTHING
       RETURNING id`,
      params,
    );
    const inserted = new Set(rows.map((r) => r.id));
    return ids.map((id) => (inserted.has(id) ? id : null));
  }

  /**
   * Claims up to `limit` runnable events: due, and first in their partition (no earlier event of the same
   * partition still waiting, running or held), critical priority first. Expired `processing` locks
   * (a process that died) are claimable again.
   */
  async claim(limit: number, lockMs: number): Promise<StoredEventRow[]> {
    // Shaped for the planner: the status list equals the partial claim index's predicate, so the scan walks
    // that index in (priority, seq) order and stops after `limit` rows; "first in its partition" is a LIMIT 1
    // subquery (`headSeq`), which cannot be turned into an anti-join over the whole backlog; `indexed` keeps
    // stale statistics from bringing a scan + sort of the backlog back. Measured: 0.7 ms per claim with 7,000
    // or 100,000 events waiting; the NOT EXISTS form took 19 ms at 7,000, and a 5,000-event drain without
    // statistics went from 21 s to 5 s. Events waiting behind an earlier one of their partition are parked
    // out of the index (`parkBlocked`). The two integers are ours, inlined (see `indexed`).
    const n = Math.max(1, Math.floor(limit));
    const lock = Math.max(0, Math.floor(lockMs));
    const { rows } = await this.indexed<StoredEventRow>(
      `UPDATE inbound_events e
          SET status = 'processing', attempts = e.attempts + 1, locked_until = now() + interval '${lock} milliseconds'
        WHERE e.id IN (
          SELECT c.id FROM inbound_events c
           WHERE c.status IN ('pending', 'failed', 'processing') AND NOT c.parked
             AND CASE WHEN c.status = 'processing' THEN c.locked_until < now() ELSE c.next_attempt_at <= now() END
             AND c.seq = ${headSeq('c')}
           ORDER BY c.priority, c.seq
           LIMIT ${n}
           FOR UPDATE SKIP LOCKED)
        RETURNING e.*`,
    );
    return rows;
  }

  /**
   * Parks pending events that wait behind an earlier event of their partition: they leave the claim index
   * until that one finishes (`unparkHeads`), so a queue of thousands for one item (a Lockme account after an
   * outage, a connection waiting for its tokens) is walked once here, not by every claim (measured: 10,000
   * waiting behind one event made every claim take 138 ms; parked, 2,000 other events were claimed in 1.7 s
   * instead of 17 s). Walks the front of the queue in claim order, `limit` rows at most.
   */
  async parkBlocked(limit = 5000): Promise<number> {
    const { rowCount } = await this.indexed(
      `WITH front AS MATERIALIZED (
         SELECT c.id, c.seq, c.partition_key FROM inbound_events c
          WHERE c.status IN ('pending', 'failed', 'processing') AND NOT c.parked
          ORDER BY c.priority, c.seq
          LIMIT ${Math.max(1, Math.floor(limit))}),
       blocked AS MATERIALIZED (SELECT f.id FROM front f WHERE f.seq <> ${headSeq('f')})
       UPDATE inbound_events e SET parked = true
         FROM blocked b
        WHERE e.id = b.id AND e.status = 'pending' AND NOT e.parked`,
    );
    if ((rowCount ?? 0) > 0) this.anyParked = true;
    return rowCount ?? 0;
  }

  /**
   * Parked events now first in their partition go back into the claim index: after events of
   * `partitionKeys` finished for good (done, ignored, dead), or, without keys, everywhere (the sweep, which
   * also repairs a predecessor finishing while its follower was being parked). Driven by the small `parked`
   * index; the keys are inlined, escaped by pg (see `indexed`).
   */
  async unparkHeads(partitionKeys?: string[]): Promise<number> {
    if (partitionKeys && (partitionKeys.length === 0 || !this.anyParked)) return 0;
    const only = partitionKeys ? `AND c.partition_key IN (${[...new Set(partitionKeys)].map((k) => escapeLiteral(k)).join(', ')})` : '';
    const { rowCount } = await this.indexed(`UPDATE inbound_events c SET parked = false WHERE c.parked ${only} AND c.seq = ${headSeq('c')}`);
    return rowCount ?? 0;
  }

  /**
   * Whether anything is parked, in any process (refreshed by the sweep, set by this process's parking): while
   * nothing is, finishing an event skips `unparkHeads` altogether.
   */
  private anyParked = false;

  async refreshParked(): Promise<boolean> {
    const { rows } = await this.indexed<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM inbound_events WHERE parked) AS any`);
    this.anyParked = rows[0].any;
    return this.anyParked;
  }

  /**
   * One statement with sequential scans and sorts off, so the planner keeps to the partial indexes even when
   * the table's statistics are stale after a burst. SET LOCAL applies within the implicit transaction of a
   * multi-statement query, which takes no parameters: callers inline only values they built themselves.
   */
  private async indexed<T extends object = Record<string, unknown>>(sql: string): Promise<{ rows: T[]; rowCount: number | null }> {
    const results = (await this.pool.query(`SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off; ${sql}`)) as unknown as Array<QueryResult<T>>;
    return results[results.length - 1];
  }

  /** Finished events share UPDATEs the same way intake shares INSERTs. */
  async markDone(id: string, status: 'done' | 'ignored', connectionId: string | null, note: string | null): Promise<void> {
    await this.finishes.submit({ id, status, connectionId, note });
  }

  private readonly finishes = new MicroBatcher<{ id: string; status: 'done' | 'ignored'; connectionId: string | null; note: string | null }, void>(
    async (items) => {
      const params: unknown[] = [];
      const tuples = items.map((f) => {
        const b = params.length;
        params.push(f.id, f.status, f.connectionId, f.note);
        return `($${b + 1}::uuid, $${b + 2}::varchar, $${b + 3}::uuid, $${b + 4}::text)`;
      });
      const { rows } = await this.pool.query<{ partition_key: string }>(
        `UPDATE inbound_events e SET status = v.status, processed_at = now(), locked_until = NULL, next_attempt_at = NULL,
                last_error = v.note, connection_id = COALESCE(v.connection_id, e.connection_id), coalesce_key = NULL
           FROM (VALUES ${tuples.join(', ')}) AS v(id, status, connection_id, note)
          WHERE e.id = v.id
         RETURNING e.partition_key`,
        params,
      );
      await this.unparkHeads(rows.map((r) => r.partition_key));
      return items.map(() => undefined);
    },
    2,
    200,
  );

  /** Heartbeat of a live worker: its claimed events stay locked while they run or wait for a slot. */
  async extendLocks(ids: string[], lockMs: number): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE inbound_events SET locked_until = now() + ($2::int * interval '1 millisecond')
        WHERE id = ANY($1::uuid[]) AND status = 'processing'`,
      [ids, Math.floor(lockMs)],
    );
  }

  /** Claimed events that never started (a stopping worker): pending again, the claim not counted. */
  async release(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE inbound_events SET status = 'pending', attempts = GREATEST(attempts - 1, 0), locked_until = NULL, next_attempt_at = now()
        WHERE id = ANY($1::uuid[]) AND status = 'processing'`,
      [ids],
    );
  }

  /** Held does not count as an attempt: the event did not fail, it waits for its cause to go. */
  async markHeld(id: string, connectionId: string | null, reason: string): Promise<void> {
    await this.pool.query(
      `UPDATE inbound_events SET status = 'held', attempts = GREATEST(attempts - 1, 0), locked_until = NULL,
              next_attempt_at = NULL, last_error = $3, connection_id = COALESCE($2, connection_id), coalesce_key = NULL
        WHERE id = $1`,
      [id, connectionId, reason],
    );
  }

  async markFailed(id: string, error: string, retryInMs: number | null): Promise<void> {
    const { rows } = await this.pool.query<{ partition_key: string }>(
      `UPDATE inbound_events
          SET status = CASE WHEN $3::int IS NULL THEN 'dead' ELSE 'failed' END,
              next_attempt_at = CASE WHEN $3::int IS NULL THEN NULL ELSE now() + ($3::int * interval '1 millisecond') END,
              processed_at = CASE WHEN $3::int IS NULL THEN now() ELSE NULL END,
              locked_until = NULL, last_error = $2, coalesce_key = NULL
        WHERE id = $1
       RETURNING partition_key`,
      [id, error.slice(0, 2000), retryInMs === null ? null : Math.round(retryInMs)],
    );
    // Dead: its partition moves on.
    if (retryInMs === null) await this.unparkHeads(rows.map((r) => r.partition_key));
  }

  /** Puts held events back in line (all of a provider's, or one connection's); each is re-evaluated. */
  async releaseHeld(provider: string, connectionId?: string): Promise<number> {
    const { rowCount } = await this.pool.query(
      `UPDATE inbound_events SET status = 'pending', next_attempt_at = now(), last_error = NULL
        WHERE status = 'held' AND provider = $1 AND ($2::uuid IS NULL OR connection_id = $2 OR connection_id IS NULL)`,
      [provider, connectionId ?? null],
    );
    return rowCount ?? 0;
  }

  /** Replay: a finished or dead event runs again from a clean attempt count. */
  async replay(id: string): Promise<StoredEventRow | null> {
    const { rows } = await this.pool.query<StoredEventRow>(
      `UPDATE inbound_events SET status = 'pending', attempts = 0, next_attempt_at = now(), processed_at = NULL,
              last_error = NULL, locked_until = NULL
        WHERE id = $1 AND status IN ('done', 'dead', 'ignored', 'failed', 'held')
        RETURNING *`,
      [id],
    );
    return rows[0] ?? null;
  }

  async replayDead(provider: string | null): Promise<number> {
    const { rowCount } = await this.pool.query(
      `UPDATE inbound_events SET status = 'pending', attempts = 0, next_attempt_at = now(), processed_at = NULL, last_error = NULL
        WHERE status = 'dead' AND ($1::text IS NULL OR provider = $1)`,
      [provider],
    );
    return rowCount ?? 0;
  }

  async findById(id: string): Promise<StoredEventRow | null> {
    const { rows } = await this.pool.query<StoredEventRow>(`SELECT * FROM inbound_events WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async list(filter: { provider?: string; status?: string; connectionId?: string; afterSeq?: string }, limit: number): Promise<StoredEventRow[]> {
    const { rows } = await this.pool.query<StoredEventRow>(
      `SELECT id, seq, provider, connection_id, event_type, status, partition_key, received_at, processed_at, attempts,
              next_attempt_at, last_error
         FROM inbound_events
        WHERE ($1::text IS NULL OR provider = $1) AND ($2::text IS NULL OR status = $2)
          AND ($3::uuid IS NULL OR connection_id = $3) AND ($4::bigint IS NULL OR seq < $4)
        ORDER BY seq DESC
        LIMIT $5`,
      [filter.provider ?? null, filter.status ?? null, filter.connectionId ?? null, filter.afterSeq ?? null, limit],
    );
    return rows;
  }

  async deleteFinishedBefore(cutoff: Date, batch = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const { rowCount } = await this.pool.query(
        `DELETE FROM inbound_events WHERE id IN (
           SELECT id FROM inbound_events WHERE status IN ('done', 'ignored') AND received_at < $1 LIMIT $2)`,
        [cutoff, batch],
      );
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < batch) return total;
    }
  }

  async queueStats(): Promise<Array<{ provider: string; depth: number; oldest_seconds: number }>> {
    const { rows } = await this.pool.query(
      `SELECT provider, count(*)::int AS depth, COALESCE(EXTRACT(EPOCH FROM now() - min(received_at)), 0)::float AS oldest_seconds
         FROM inbound_events WHERE status IN ${ACTIVE} GROUP BY provider`,
    );
    return rows;
  }
}
