import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AccountEntity } from './account.entity';

@Entity('account_users')
@Index('ix_account_users_account', ['accountId', 'createdAt'])
export class AccountUserEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'account_id', type: 'uuid' }) accountId: string;
  @ManyToOne(() => AccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: AccountEntity;
  @Column({ type: 'varchar', length: 320 }) email: string;
  /** lower(email): unique across all accounts, case-insensitively. */
  @Index('uq_account_users_email_key', { unique: true })
  @Column({ name: 'email_key', type: 'varchar', length: 320, select: false }) emailKey: string;
  /** argon2id PHC string; never selected by default so it cannot reach an answer. */
  @Column({ name: 'password_hash', type: 'varchar', length: 200, select: false }) passwordHash: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 }) createdAt: Date;
}
