import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { SyncarooGrantEntity } from './syncaroo-grant.entity';

/** An access token with its refresh token, both stored as SHA-256 only. A refresh rotates the pair (a new row). */
@Entity('syncaroo_tokens')
@Index('ix_syncaroo_tokens_grant', ['grantId'])
export class SyncarooTokenEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'grant_id', type: 'uuid' }) grantId: string;
  @ManyToOne(() => SyncarooGrantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'grant_id' })
  grant?: SyncarooGrantEntity;
  @Index('uq_syncaroo_tokens_access', { unique: true })
  @Column({ name: 'access_hash', type: 'varchar', length: 64 }) accessHash: string;
  @Column({ name: 'access_expires_at', type: 'timestamptz' }) accessExpiresAt: Date;
  @Index('uq_syncaroo_tokens_refresh', { unique: true, where: 'refresh_hash IS NOT NULL' })
  @Column({ name: 'refresh_hash', type: 'varchar', length: 64, nullable: true }) refreshHash: string | null;
  @Column({ name: 'refresh_expires_at', type: 'timestamptz', nullable: true }) refreshExpiresAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 }) createdAt: Date;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt: Date | null;
}
