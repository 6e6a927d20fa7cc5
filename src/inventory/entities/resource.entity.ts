import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export const RESOURCE_TYPES = ['meeting-room', 'hot-desk', 'fixed-desk', 'office', 'floor', 'room', 'accommodation'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];
export const RESOURCE_STATUSES = ['active', 'removed'] as const;
export type ResourceStatus = (typeof RESOURCE_STATUSES)[number];

@Entity('resources')
@Index('uq_resources_provider_connection_external', ['provider', 'connectionId', 'externalId'], { unique: true })
@Index('ix_resources_location_id', ['locationId', 'id'])
@Index('ix_resources_updated_at_id', ['updatedAt', 'id'])
@Index('ix_resources_account_id', ['accountId', 'id'], { where: 'account_id IS NOT NULL' })
export class ResourceEntity {
  @PrimaryColumn({ type: 'varchar', length: 200 }) id: string;
  @Column({ name: 'location_id', type: 'varchar', length: 200 }) locationId: string;
  @Column({ name: 'connection_id', type: 'uuid' }) connectionId: string;
  /** The account of its location (kept by the database: trg_resources_account on insert, trg_resources_account_moved on a move), so an account's list is one index range. */
  @Column({ name: 'account_id', type: 'uuid', nullable: true }) accountId: string | null;
  @Column({ type: 'varchar', length: 32 }) type: ResourceType;
  @Column({ type: 'varchar', length: 500, nullable: true }) name: string | null;
  @Column({ type: 'integer', nullable: true }) capacity: number | null;
  @Column({ type: 'varchar', length: 16 }) status: ResourceStatus;
  @Column({ type: 'varchar', length: 16 }) provider: string;
  @Column({ name: 'external_id', type: 'varchar', length: 200 }) externalId: string;
  @Column({ type: 'jsonb' }) attributes: Record<string, unknown>;
  /** Hash of the mapped fields: a write that changes nothing leaves updated_at alone. */
  @Column({ name: 'source_hash', type: 'varchar', length: 64, nullable: true }) sourceHash: string | null;
  /**
   * Hash of the rate list its last fetch wrote (RatesRepository.replaceForResource, in the same statement): an
   * equal list is not written again. NULL when any other path changed its rates since.
   */
  @Column({ name: 'rates_hash', type: 'varchar', length: 64, nullable: true }) ratesHash: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
}
