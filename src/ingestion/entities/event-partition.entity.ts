import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One row per item (partition key): the queue's unit of claiming. Intake locks it before the event row
 * gets its seq; the claim takes rows whose head is due (`ready_at`) with SKIP LOCKED and runs each one's
 * head; `claim_token` fences whoever runs it. Maintained only by the isq_* functions of the QueueByItem migration.
 */
@Entity('event_partitions')
@Index('ix_event_partitions_ready', ['priority', 'readyAt'], { where: 'ready_at IS NOT NULL' })
export class EventPartitionEntity {
  @PrimaryColumn({ type: 'varchar', length: 500 }) key: string;
  /** The first event still in line (pending, failed, processing or held); null when the item is idle. */
  @Column({ name: 'head_seq', type: 'bigint', nullable: true }) headSeq: string | null;
  /** The last event stored: an identical body coalesces only into this one, while it is pending. */
  @Column({ name: 'tail_seq', type: 'bigint', nullable: true }) tailSeq: string | null;
  @Column({ type: 'smallint', default: 5 }) priority: number;
  /** When the head may be claimed: its due time, or its claim's expiry while running; null = not claimable (idle, held). */
  @Column({ name: 'ready_at', type: 'timestamptz', nullable: true }) readyAt: Date | null;
  @Column({ name: 'claim_token', type: 'uuid', nullable: true }) claimToken: string | null;
}
