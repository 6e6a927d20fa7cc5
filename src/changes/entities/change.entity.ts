import { Column, Entity, Generated, Index, PrimaryColumn } from 'typeorm';

export const CHANGE_TYPES = ['location', 'resource', 'booking', 'availability', 'los', 'rate'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];
export const CHANGE_OPS = ['upsert', 'delete'] as const;
export type ChangeOp = (typeof CHANGE_OPS)[number];

/**
 * One inventory change, written by the database triggers of the inventory tables in the transaction that made
 * it (migration ChangeFeedTriggers). Feed order is (xid, seq); a reader hands out only rows below its
 * snapshot's xmin, so a transaction that started earlier and commits later is never skipped (README "Change feed").
 */
@Entity('changes')
@Index('ix_changes_account', ['accountId', 'xid', 'seq'], { where: 'account_id IS NOT NULL' })
@Index('ix_changes_changed_at', ['changedAt'])
@Index('uq_changes_xid_key', ['xid', 'dedupeKey'], { unique: true })
export class ChangeEntity {
  /** pg_current_xact_id() of the writing transaction as a bigint (xid8 is 64-bit and never wraps): current_xid(). */
  @PrimaryColumn({ type: 'bigint', default: () => 'current_xid()' }) xid: string;
  @PrimaryColumn({ type: 'bigint' })
  @Generated('increment')
  seq: string;
  @Column({ name: 'account_id', type: 'uuid', nullable: true }) accountId: string | null;
  @Column({ type: 'varchar', length: 16 }) type: ChangeType;
  @Column({ type: 'varchar', length: 8 }) op: ChangeOp;
  @Column({ name: 'location_id', type: 'varchar', length: 200 }) locationId: string;
  @Column({ name: 'resource_id', type: 'varchar', length: 200, nullable: true }) resourceId: string | null;
  @Column({ name: 'entity_id', type: 'varchar', length: 300 }) entityId: string;
  /** LOS items: the channel and arrival range of the cells written. */
  @Column({ type: 'varchar', length: 200, nullable: true }) channel: string | null;
  @Column({ name: 'arrival_from', type: 'date', nullable: true }) arrivalFrom: string | null;
  @Column({ name: 'arrival_to', type: 'date', nullable: true }) arrivalTo: string | null;
  /** One item per entity (and account, and LOS channel) per transaction: later writes merge into it. */
  @Column({ name: 'dedupe_key', type: 'text' }) dedupeKey: string;
  @Column({ name: 'changed_at', type: 'timestamptz', precision: 3, default: () => 'now()' }) changedAt: Date;
}
