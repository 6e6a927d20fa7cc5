import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ConnectionEntity } from './connection.entity';

/**
 * One OAuth connect flow started by an admin (GET /connect/lockme): single-use, expiring, and bound to the
 * browser that started it. Only hashes are stored: of the state's nonce (the key) and of the browser cookie.
 */
@Entity('oauth_states')
export class OAuthStateEntity {
  /** SHA-256 hex of the nonce carried in the signed `state`. */
  @PrimaryColumn({ name: 'nonce_hash', type: 'varchar', length: 64 }) nonceHash: string;
  @Column({ name: 'connection_id', type: 'uuid' }) connectionId: string;
  @ManyToOne(() => ConnectionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connection_id' })
  connection?: ConnectionEntity;
  /** SHA-256 hex of the random value of the HttpOnly cookie set with the redirect. */
  @Column({ name: 'browser_hash', type: 'varchar', length: 64 }) browserHash: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  /** Set when a callback takes the state; a taken state is refused. */
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true }) usedAt: Date | null;
}
