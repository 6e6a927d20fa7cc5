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

const INSERT_EVENTS = `INSERT INTO inbound_events (id, provider, connection_id, event_type, status, idempotency_key, coalesce_key,
                              partition_key, priority, payload, headers, next_attempt_at, request_id)
  SELECT u.id, u.provider, u.connection_id, u.event_type, 'pending', u.idempotency_key, u.coalesce_key,
         u.partition_key, u.priority, u.payload::jsonb, u.headers::jsonb, now(), u.request_id
    FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::smallint[],
                $9::text[], $10::text[], $11::text[])
         WITH ORDINALITY AS u(id, provider, connection_id, event_type, idempotency_key, coalesce_key, partition_key,
                              priority, payload, headers, request_id, ord)
   ORDER BY u.ord
  ON CONFLICT DO NOTHING
  RETURNING id`;

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
    // Item rows are locked in the order of the rows: sorted by key (stable, so one item's events keep
    // their arrival order), two batches cannot wait for each other's locks.
    const order = es.map((e, i) => ({ i, key: boundedKey(e.partitionKey) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
    const cols = Array.from({ length: 11 }, () => [] as unknown[]);
    for (const { i, key } of order) {
      const e = es[i];
      const row = [ids[i], e.provider, e.connectionId, e.eventType.slice(0, 100), e.idempotencyKey ?? null, e.coalesceKey ?? null,
        key, e.priority, JSON.stringify(e.payload), JSON.stringify(e.headers ?? {}), e.requestId ?? null];
      for (let c = 0; c < 11; c++) cols[c].push(row[c]);
    }
    // One named statement of arrays, whatever the batch size: parsed and planned once per session (a VALUES
    // list of each size was planned on every call). WITH ORDINALITY keeps the sorted order for the triggers.
    const { rows } = await this.pool.query<{ id: string }>({ name: 'intake_insert', text: INSERT_EVENTS, values: cols });
    const inserted = new Set(rows.map((r) => r.id));
    return ids.map((id) => (inserted.has(id) ? id : null));
  }
}
