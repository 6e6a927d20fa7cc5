import { Injectable } from '@nestjs/common';
import { poolOf } from '../database/leader-lock';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { MicroBatcher } from '../common/micro-batcher';
import { AppConfig } from '../config/app-config';
import { uuidv7 } from '../common/uuidv7';
import { boundedKey, StoredEventRow } from './event-row';
import type { IntakeEnvelope } from './provider-handler';

export type IntakeStatus = 'accepted' | 'coalesced' | 'duplicate';

export interface IntakeResult {
  eventId: string;
  status: IntakeStatus;
  /** The earlier event, for duplicates (its status decides whether to acknowledge again). */
  existing?: StoredEventRow;
}

/**
 * Stores events. Each row's BEFORE trigger (isq_before_insert) locks its item's row first and gives the
 * event its seq under that lock, so two webhooks of one item commit in seq order whichever INSERT started
 * first; it also coalesces an identical body into the item's last event while that one is pending.
 */
@Injectable()
export class EventIntakeRepository {
  private readonly pool: Pool;
  /**
   * Group commit: webhooks arriving while two INSERTs are running go together in the next one (one
   * multi-row statement, one commit); a lone webhook is written at once. Measured with scripts/bench.mjs.
   * At most INTAKE_MAX_QUEUED wait: past that a webhook is refused with 503 `overloaded` (nothing stored).
   */
  private readonly inserts: MicroBatcher<IntakeEnvelope, string | null>;

  constructor(@InjectDataSource() dataSource: DataSource, config: AppConfig) {
    this.pool = poolOf(dataSource);
    this.inserts = new MicroBatcher((es) => this.insertRows(es), 2, 200, config.env.INTAKE_MAX_QUEUED);
  }

  /** The promise settles only after the row is committed. Concurrent calls share statements (`inserts`). */
  async insert(e: IntakeEnvelope): Promise<IntakeResult> {
    const key = boundedKey(e.partitionKey);
    for (;;) {
      const id = await this.inserts.submit(e);
      if (id !== null) return { eventId: id, status: 'accepted' };
      // Not stored: find which rule matched (a key seen in the queue or its archive, a pending copy). The row
      // may have moved on in between (the pending last event just started); then the insert is tried again.
      if (e.idempotencyKey) {
        const dup = await this.pool.query<StoredEventRow>(
          `SELECT * FROM inbound_events_all WHERE provider = $1 AND idempotency_key = $2`, [e.provider, e.idempotencyKey]);
        if (dup.rows[0]) return { eventId: dup.rows[0].id, status: 'duplicate', existing: dup.rows[0] };
      }
      if (e.coalesceKey) {
        const tail = await this.pool.query<{ id: string }>(
          `SELECT t.id FROM event_partitions p JOIN inbound_events t ON t.seq = p.tail_seq
            WHERE p.key = $1 AND t.provider = $2 AND t.coalesce_key = $3 AND t.status = 'pending'`, [key, e.provider, e.coalesceKey]);
        if (tail.rows[0]) return { eventId: tail.rows[0].id, status: 'coalesced' };
      }
    }
  }

  /** The id of each row inserted, null where it was not (an idempotency key seen, or coalesced). */
  private async insertRows(es: IntakeEnvelope[]): Promise<Array<string | null>> {
    const ids = es.map(() => uuidv7());
    // Item rows are locked in the order of the VALUES list: sorted by key (stable, so one item's events keep
    // their arrival order), two batches cannot wait for each other's locks.
    const order = es.map((e, i) => ({ i, key: boundedKey(e.partitionKey) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
    const params: unknown[] = [];
    const tuples = order.map(({ i, key }) => {
      const e = es[i];
      const b = params.length;
      params.push(ids[i], e.provider, e.connectionId, e.eventType.slice(0, 100), e.idempotencyKey ?? null, e.coalesceKey ?? null,
        key, e.priority, JSON.stringify(e.payload), JSON.stringify(e.headers ?? {}), e.requestId ?? null);
      return `($${b + 1}::uuid, $${b + 2}, $${b + 3}::uuid, $${b + 4}, 'pending', $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}::smallint, $${b + 9}::jsonb, $${b + 10}::jsonb, now(), $${b + 11})`;
    });
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO inbound_events (id, provider, connection_id, event_type, status, idempotency_key, coalesce_key,
                                   partition_key, priority, payload, headers, next_attempt_at, request_id)
       VALUES ${tuples.join(', ')}
       ON CONFLICT DO NOTHING
       RETURNING id`,
      params,
    );
    const inserted = new Set(rows.map((r) => r.id));
    return ids.map((id) => (inserted.has(id) ? id : null));
  }
}
