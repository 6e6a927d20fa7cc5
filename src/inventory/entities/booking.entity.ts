import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const BOOKING_STATUSES = ['confirmed', 'pending', 'cancelled'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

@Entity('bookings')
@Index('uq_bookings_provider_connection_external', ['provider', 'connectionId', 'externalId'], { unique: true })
@Index('ix_bookings_resource_start', ['resourceId', 'startsAt', 'id'])
export class BookingEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'resource_id', type: 'varchar', length: 200 }) resourceId: string;
  @Column({ name: 'connection_id', type: 'uuid' }) connectionId: string;
  @Column({ type: 'varchar', length: 16 }) provider: string;
  @Column({ name: 'external_id', type: 'varchar', length: 300 }) externalId: string;
  @Column({ name: 'starts_at', type: 'timestamptz' }) startsAt: Date;
  @Column({ name: 'ends_at', type: 'timestamptz', nullable: true }) endsAt: Date | null;
  @Column({ type: 'varchar', length: 16 }) status: BookingStatus;
  @Column({ type: 'integer', nullable: true }) people: number | null;
  @Column({ type: 'numeric', precision: 14, scale: 2, nullable: true }) price: string | null;
  @Column({ type: 'varchar', length: 3, nullable: true }) currency: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
}
