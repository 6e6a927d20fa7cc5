import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const EVENT_STATUSES = ['pending', 'processing', 'done', 'failed', 'dead', 'held', 'ignored'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/**
 * The durable inbox and the job queue in one row: intake is one INSERT, the worker claims rows with
 * FOR UPDATE SKIP LOCKED, one at a time per partition in arrival (seq) order.
 */
@Entity('inbound_events')
@Index('uq_inbound_events_idempotency', ['provider', 'idempotencyKey'], { unique: true, where: 'idempotency_key IS NOT NULL' })
@Index('uq_inbound_events_coalesce_pending', ['provider', 'coalesceKey'], { unique: true, where: "coalesce_key IS NOT NULL AND status = 'pending'" })
@Index('ix_inbound_events_claim', ['priority', 'seq'], { where: "status IN ('pending', 'failed', 'processing') AND NOT parked" })
@Index('ix_inbound_events_parked', ['partitionKey', 'seq'], { where: 'parked' })
@Index('ix_inbound_events_partition', ['partitionKey', 'seq'], { where: "status IN ('pending', 'failed', 'processing', 'held')" })
@Index('ix_inbound_events_held_connection', ['connectionId'], { where: "status = 'held'" })
@Index('ix_inbound_events_provider_seq', ['provider', 'seq'])
@Index('ix_inbound_events_status_seq', ['status', 'seq'])
@Index('ix_inbound_events_received', ['receivedAt'])
export class InboundEventEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'bigint', generated: 'identity', generatedIdentity: 'ALWAYS' }) seq: string;
  @Column({ type: 'varchar', length: 16 }) provider: string;
  @Column({ name: 'connection_id', type: 'uuid', nullable: true }) connectionId: string | null;
  @Column({ name: 'event_type', type: 'varchar', length: 100 }) eventType: string;
  @Column({ type: 'varchar', length: 16 }) status: EventStatus;
  @Column({ name: 'idempotency_key', type: 'varchar', length: 300, nullable: true }) idempotencyKey: string | null;
  @Column({ name: 'coalesce_key', type: 'varchar', length: 64, nullable: true }) coalesceKey: string | null;
  @Column({ name: 'partition_key', type: 'varchar', length: 500 }) partitionKey: string;
  @Column({ type: 'smallint', default: 5 }) priority: number;
  @Column({ type: 'jsonb' }) payload: Record<string, unknown>;
  @Column({ type: 'bytea', nullable: true }) raw: Buffer | null;
  @Column({ type: 'jsonb' }) headers: Record<string, string>;
  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' }) receivedAt: Date;
  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true }) processedAt: Date | null;
  @Column({ type: 'integer', default: 0 }) attempts: number;
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true }) nextAttemptAt: Date | null;
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true }) lockedUntil: Date | null;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError: string | null;
  /**
   * A pending event the claim found waiting behind an earlier one of its partition: left out of the claim
   * index until that one finishes, so a long queue for one item is not walked again by every claim.
   * Internal only; the API shows it as `pending`.
   */
  @Column({ type: 'boolean', default: false }) parked: boolean;
}
