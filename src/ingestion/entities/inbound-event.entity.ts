import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const EVENT_STATUSES = ['pending', 'processing', 'done', 'failed', 'dead', 'held', 'ignored'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/**
 * The durable inbox: one row per webhook (or queued admin action). Which event of an item may run is kept
 * in event_partitions (one row per item); `seq` is assigned under that row's lock, so it is commit order
 * within an item (see migrations/*-QueueByItem.ts).
 */
@Entity('inbound_events')
@Index('uq_inbound_events_idempotency', ['provider', 'idempotencyKey'], { unique: true, where: 'idempotency_key IS NOT NULL' })
@Index('uq_inbound_events_seq', ['seq'], { unique: true })
@Index('ix_inbound_events_partition', ['partitionKey', 'seq'], { where: "status IN ('pending', 'failed', 'processing', 'held')" })
// The item's whole history (stale replay, a repair's "changed since"); the partial one above finds its head.
@Index('ix_inbound_events_item', ['partitionKey', 'seq'])
@Index('ix_inbound_events_held_cause', ['holdCause'], { where: "status = 'held'" })
@Index('ix_inbound_events_provider_seq', ['provider', 'seq'])
@Index('ix_inbound_events_status_seq', ['status', 'seq'])
@Index('ix_inbound_events_received', ['receivedAt'])
export class InboundEventEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'bigint', generated: 'identity', generatedIdentity: 'BY DEFAULT' }) seq: string;
  @Column({ type: 'varchar', length: 16 }) provider: string;
  @Column({ name: 'connection_id', type: 'uuid', nullable: true }) connectionId: string | null;
  @Column({ name: 'event_type', type: 'varchar', length: 100 }) eventType: string;
  @Column({ type: 'varchar', length: 16 }) status: EventStatus;
  @Column({ name: 'idempotency_key', type: 'varchar', length: 300, nullable: true }) idempotencyKey: string | null;
  @Column({ name: 'coalesce_key', type: 'varchar', length: 64, nullable: true }) coalesceKey: string | null;
  @Column({ name: 'partition_key', type: 'varchar', length: 500 }) partitionKey: string;
  @Column({ type: 'smallint', default: 5 }) priority: number;
  @Column({ type: 'jsonb' }) payload: Record<string, unknown>;
  /** Raw bodies of events stored by earlier versions; nothing writes it now (payload is the body). */
  @Column({ type: 'bytea', nullable: true }) raw: Buffer | null;
  @Column({ type: 'jsonb' }) headers: Record<string, string>;
  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' }) receivedAt: Date;
  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true }) processedAt: Date | null;
  @Column({ type: 'integer', default: 0 }) attempts: number;
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true }) nextAttemptAt: Date | null;
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true }) lockedUntil: Date | null;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError: string | null;
  /** The fencing token of the current claim: only its holder can settle the event. */
  @Column({ name: 'claim_token', type: 'uuid', nullable: true }) claimToken: string | null;
  /** pg_current_snapshot() at the claim: a hold is kept only if its cause was not released after it. */
  @Column({ name: 'claim_snapshot', type: 'text', nullable: true }) claimSnapshot: string | null;
  /** Why a held event waits, as a cause key (`connection:<id>`, `location:<id>`, ...) that a release names. */
  @Column({ name: 'hold_cause', type: 'varchar', length: 300, nullable: true }) holdCause: string | null;
  /** x-request-id of the request that stored it: the worker's log lines for the event carry it. */
  @Column({ name: 'request_id', type: 'varchar', length: 100, nullable: true }) requestId: string | null;
}
