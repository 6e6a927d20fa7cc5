import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { SyncarooGrantEntity } from './syncaroo-grant.entity';

/** Authorization codes, stored as SHA-256 only; single-use (`used_at`), ≤ 10 minutes. */
@Entity('syncaroo_auth_codes')
@Index('ix_syncaroo_auth_codes_expires', ['expiresAt'])
export class SyncarooAuthCodeEntity {
  @PrimaryColumn({ name: 'code_hash', type: 'varchar', length: 64 }) codeHash: string;
  @Column({ name: 'grant_id', type: 'uuid' }) grantId: string;
  @ManyToOne(() => SyncarooGrantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'grant_id' })
  grant?: SyncarooGrantEntity;
  @Column({ name: 'redirect_uri', type: 'varchar', length: 2000 }) redirectUri: string;
  @Column({ name: 'code_challenge', type: 'varchar', length: 128, nullable: true }) codeChallenge: string | null;
  @Column({ name: 'code_challenge_method', type: 'varchar', length: 8, nullable: true }) codeChallengeMethod: string | null;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt: Date;
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true }) usedAt: Date | null;
}
