import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AccountEntity } from '../../accounts/entities/account.entity';

@Entity('api_keys')
@Index('ix_api_keys_account', ['accountId'])
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ name: 'account_id', type: 'uuid', nullable: true }) accountId: string | null;
  @ManyToOne(() => AccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: AccountEntity;
  @Column({ type: 'varchar', length: 32, array: true }) scopes: string[];
  /** The first characters of the key, shown so an operator can tell keys apart. */
  @Column({ type: 'varchar', length: 16 }) prefix: string;
  /** SHA-256 of the whole key (hex). The key has 190+ random bits, so a fast hash is enough and keeps checks cheap. */
  @Index('uq_api_keys_key_hash', { unique: true })
  @Column({ name: 'key_hash', type: 'varchar', length: 64, select: false }) keyHash: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 }) createdAt: Date;
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt: Date | null;
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true }) lastUsedAt: Date | null;
}
