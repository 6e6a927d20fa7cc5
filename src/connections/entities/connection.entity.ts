import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { AccountEntity } from '../../accounts/entities/account.entity';

export const PROVIDERS = ['syncaroo', 'lockme', 'stratech'] as const;
export type Provider = (typeof PROVIDERS)[number];
export const CONNECTION_STATUSES = ['pending', 'active', 'disabled', 'revoked'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

@Entity('connections')
@Index('uq_connections_provider_external', ['provider', 'externalId'], { unique: true })
@Index('ix_connections_account', ['accountId'])
export class ConnectionEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 16 }) provider: Provider;
  @Column({ name: 'external_id', type: 'varchar', length: 200, nullable: true }) externalId: string | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) name: string | null;
  @Column({ name: 'account_id', type: 'uuid', nullable: true }) accountId: string | null;
  @ManyToOne(() => AccountEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'account_id' })
  account?: AccountEntity;
  @Column({ type: 'varchar', length: 16 }) status: ConnectionStatus;
  /** SecretBox-sealed JSON; never selected by default so it cannot leak into a response. */
  @Column({ type: 'bytea', nullable: true, select: false }) credentials: Buffer | null;
  @Index('uq_connections_webhook_key_hash', { unique: true, where: 'webhook_key_hash IS NOT NULL' })
  @Column({ name: 'webhook_key_hash', type: 'varchar', length: 64, nullable: true, select: false }) webhookKeyHash: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
