import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('availability_windows')
@Index('ix_availability_resource_start', ['resourceId', 'startsAt'])
export class AvailabilityWindowEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ name: 'resource_id', type: 'varchar', length: 200 }) resourceId: string;
  @Column({ name: 'connection_id', type: 'uuid' }) connectionId: string;
  @Column({ name: 'starts_at', type: 'timestamptz' }) startsAt: Date;
  @Column({ name: 'ends_at', type: 'timestamptz' }) endsAt: Date;
}
