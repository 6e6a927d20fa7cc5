import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The full LOS dataset currently loaded for a (resort location, channel). */
@Entity('los_datasets')
export class LosDatasetEntity {
  @PrimaryColumn({ name: 'location_id', type: 'varchar', length: 200 }) locationId: string;
  @PrimaryColumn({ type: 'varchar', length: 200 }) channel: string;
  @Column({ name: 'connection_id', type: 'uuid' }) connectionId: string;
  @Column({ name: 'dataset_key', type: 'varchar', length: 200 }) datasetKey: string;
  @Column({ name: 'loaded_at', type: 'timestamptz', default: () => 'now()' }) loadedAt: Date;
}
