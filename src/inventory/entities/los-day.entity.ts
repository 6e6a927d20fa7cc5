import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One arrival date of a resource's length-of-stay grid in a channel: its cells as arrays indexed by length of
 * stay (element n, from 1, is the stay of n nights; a NULL unit means no cell). arrival_date is a calendar date,
 * never shifted through UTC. The per-cell shape the API serves is the view `los_rows` (migration LosDays).
 */
@Entity('los_days')
@Index('ix_los_days_location_arrival', ['locationId', 'arrivalDate'])
@Index('ix_los_days_channel_arrival', ['channel', 'arrivalDate'])
@Index('ix_los_days_account', ['accountId', 'resourceId', 'channel', 'arrivalDate'], { where: 'account_id IS NOT NULL' })
export class LosDayEntity {
  @PrimaryColumn({ name: 'resource_id', type: 'varchar', length: 200 }) resourceId: string;
  @PrimaryColumn({ type: 'varchar', length: 200 }) channel: string;
  @PrimaryColumn({ name: 'arrival_date', type: 'date' }) arrivalDate: string;
  @Column({ name: 'location_id', type: 'varchar', length: 200 }) locationId: string;
  @Column({ name: 'connection_id', type: 'uuid' }) connectionId: string;
  /** The account of its location: written by the dataset writer and partials, moved with the location's account (trg_locations_account). */
  @Column({ name: 'account_id', type: 'uuid', nullable: true }) accountId: string | null;
  /** unitsAvailable by length of stay; NULL where the day has no cell of that length. */
  @Column({ type: 'integer', array: true }) units: Array<number | null>;
  /** price by length of stay; may be shorter than units (a cell a partial created has no price). */
  @Column({ type: 'numeric', precision: 14, scale: 2, array: true }) prices: Array<string | null>;
  @Column({ type: 'varchar', length: 3, nullable: true }) currency: string | null;
  @Column({ name: 'dataset_key', type: 'varchar', length: 200, nullable: true }) datasetKey: string | null;
  /** When the day was written; a cell's own time is cell_updated_at[n] where a partial changed it since. */
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
  @Column({ name: 'cell_updated_at', type: 'timestamptz', array: true, nullable: true }) cellUpdatedAt: Date[] | null;
}
