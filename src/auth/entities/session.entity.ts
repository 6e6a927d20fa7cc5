import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** express-session rows. The cookie's session id is stored only as its SHA-256: a database reader cannot ride a session. */
@Entity('sessions')
export class SessionEntity {
  @PrimaryColumn({ name: 'sid_hash', type: 'varchar', length: 64 }) sidHash: string;
  @Column({ type: 'jsonb' }) data: Record<string, unknown>;
  @Index('ix_sessions_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt: Date;
  /** Lets a deleted user's sessions end at once. */
  @Index('ix_sessions_user', { where: 'user_id IS NOT NULL' })
  @Column({ name: 'user_id', type: 'uuid', nullable: true }) userId: string | null;
}
