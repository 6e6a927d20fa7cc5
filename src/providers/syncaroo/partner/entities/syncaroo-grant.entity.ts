import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AccountEntity } from '../../../../accounts/entities/account.entity';

/**
 * One approval on the consent page: an account user let Syncaroo act for the account. Codes and tokens hang off
 * it; the connection bound by check_connection is recorded here, so revoking the grant revokes that connection.
 */
@Entity('syncaroo_grants')
@Index('ix_syncaroo_grants_account', ['accountId'])
export class SyncarooGrantEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'account_id', type: 'uuid' }) accountId: string;
  @ManyToOne(() => AccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: AccountEntity;
  /** The user who approved; null once that user is deleted (the grant stays the account's). */
  @Column({ name: 'user_id', type: 'uuid', nullable: true }) userId: string | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) scope: string | null;
  @Column({ name: 'connection_id', type: 'uuid', nullable: true }) connectionId: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 }) createdAt: Date;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt: Date | null;
}
