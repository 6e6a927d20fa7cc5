import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const RATE_UNITS = ['hour', 'half-day', 'day', 'week', 'month'] as const;
export type RateUnit = (typeof RATE_UNITS)[number];

/** A price of a resource per unit of time (Syncaroo `rates`); the provider's id is the rate's id in the API. */
@Entity('rates')
@Index('ix_rates_resource', ['resourceId', 'externalId'])
export class RateEntity {
  @PrimaryColumn({ type: 'varchar', length: 16 }) provider: string;
  @PrimaryColumn({ name: 'connection_id', type: 'uuid' }) connectionId: string;
  @PrimaryColumn({ name: 'external_id', type: 'varchar', length: 300 }) externalId: string;
  @Column({ name: 'resource_id', type: 'varchar', length: 200 }) resourceId: string;
  @Column({ type: 'varchar', length: 500, nullable: true }) name: string | null;
  @Column({ type: 'numeric', precision: 14, scale: 2, nullable: true }) price: string | null;
  @Column({ type: 'varchar', length: 3, nullable: true }) currency: string | null;
  @Column({ type: 'varchar', length: 16 }) unit: RateUnit;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
}
