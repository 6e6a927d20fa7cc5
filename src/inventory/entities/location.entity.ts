import { Column, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('locations')
@Index('ix_locations_connection', ['connectionId'])
export class LocationEntity {
  @PrimaryColumn({ type: 'varchar', length: 200 }) id: string;
  @Column({ type: 'varchar', length: 500, nullable: true }) name: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) timezone: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) provider: string | null;
  @Column({ name: 'connection_id', type: 'uuid', nullable: true }) connectionId: string | null;
  @Column({ name: 'external_id', type: 'varchar', length: 200, nullable: true }) externalId: string | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
