import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ConnectionEntity } from './connection.entity';

/** A platform location belongs to at most one connection: the primary key is the location. */
@Entity('location_mappings')
@Index('ix_location_mappings_connection_external', ['connectionId', 'externalId'])
export class LocationMappingEntity {
  @PrimaryColumn({ name: 'location_id', type: 'varchar', length: 200 }) locationId: string;
  @Column({ name: 'connection_id', type: 'uuid' }) connectionId: string;
  @ManyToOne(() => ConnectionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connection_id' })
  connection?: ConnectionEntity;
  @Column({ name: 'external_id', type: 'varchar', length: 200, nullable: true }) externalId: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
