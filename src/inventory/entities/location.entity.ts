import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { AccountEntity } from '../../accounts/entities/account.entity';

@Entity('locations')
@Index('ix_locations_connection', ['connectionId'])
@Index('ix_locations_account', ['accountId', 'id'])
export class LocationEntity {
  @PrimaryColumn({ type: 'varchar', length: 200 }) id: string;
  @Column({ type: 'varchar', length: 500, nullable: true }) name: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) timezone: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) provider: string | null;
  @Column({ name: 'connection_id', type: 'uuid', nullable: true }) connectionId: string | null;
  @Column({ name: 'external_id', type: 'varchar', length: 200, nullable: true }) externalId: string | null;
  /** The account that owns this listing; null = no account yet (global keys only). */
  @Column({ name: 'account_id', type: 'uuid', nullable: true }) accountId: string | null;
  @ManyToOne(() => AccountEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'account_id' })
  account?: AccountEntity;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
