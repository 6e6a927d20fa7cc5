import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One length-of-stay cell; arrival_date is a calendar date, never shifted through UTC. */
@Entity('los_rows')
@Index('ix_los_location_arrival', ['locationId', 'arrivalDate'])
@Index('ix_los_channel_arrival', ['channel', 'arrivalDate'])
@Index('ix_los_account', ['accountId', 'resourceId', 'channel', 'arrivalDate', 'lengthOfStay'], { where: 'account_id IS NOT NULL' })
export class LosRowEntity {
  @PrimaryColumn({ name: 'resource_id', type: 'varchar', length: 200 }) resourceId: string;
  @PrimaryColumn({ type: 'varchar', length: 200 }) channel: string;
  @PrimaryColumn({ name: 'arrival_date', type: 'date' }) arrivalDate: string;
  @PrimaryColumn({ name: 'length_of_stay', type: 'smallint' }) lengthOfStay: number;
  @Column({ name: 'location_id', type: 'varchar', length: 200 }) locationId: string;
  @Column({ name: 'connection_id', type: 'uuid' }) connectionId: string;
  /** The account of its location: written by the dataset writer and partials, moved with the location's account (trg_locations_account). */
  @Column({ name: 'account_id', type: 'uuid', nullable: true }) accountId: string | null;
  @Column({ name: 'units_available', type: 'integer' }) unitsAvailable: number;
  @Column({ type: 'numeric', precision: 14, scale: 2, nullable: true }) price: string | null;
  @Column({ type: 'varchar', length: 3, nullable: true }) currency: string | null;
  @Column({ name: 'dataset_key', type: 'varchar', length: 200, nullable: true }) datasetKey: string | null;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
}
