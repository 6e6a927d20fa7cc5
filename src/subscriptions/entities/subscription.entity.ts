import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { AccountEntity } from '../../accounts/entities/account.entity';
import type { ChangeType } from '../../changes/entities/change.entity';

export const SUBSCRIPTION_STATUSES = ['active', 'paused', 'failing'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/**
 * An outbound webhook target (CONTRACT.md section 10): the account's changes (every account's for a global one)
 * of `types` (null = every type), delivered in feed order from `cursor`. The delivery worker leases a row
 * (`lease_token` until `lease_expires_at`) while it works on it; every write it makes is fenced by the token.
 */
@Entity('subscriptions')
@Index('ix_subscriptions_account', ['accountId', 'createdAt', 'id'])
@Index('ix_subscriptions_created', ['createdAt', 'id'])
@Index('ix_subscriptions_claim', ['leaseExpiresAt'], { where: "status = 'active'" })
export class SubscriptionEntity {
  /** uuidv7, set by the service. */
  @PrimaryColumn({ type: 'uuid' }) id: string;
  @Column({ name: 'account_id', type: 'uuid', nullable: true }) accountId: string | null;
  @ManyToOne(() => AccountEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'account_id' })
  account?: AccountEntity;
  @Column({ type: 'text' }) url: string;
  /** null = every change type. */
  @Column({ type: 'text', array: true, nullable: true }) types: ChangeType[] | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) description: string | null;
  @Column({ type: 'varchar', length: 16 }) status: SubscriptionStatus;
  /** Why it is `failing` (the last delivery's error); null otherwise. */
  @Column({ name: 'failing_reason', type: 'text', nullable: true }) failingReason: string | null;
  /** SecretBox-sealed `whsec_…`; never selected by default. */
  @Column({ type: 'bytea', select: false }) secret: Buffer;
  /** The secret before the last rotation, still signing beside the new one until `previous_expires_at`. */
  @Column({ name: 'previous_secret', type: 'bytea', nullable: true, select: false }) previousSecret: Buffer | null;
  @Column({ name: 'previous_expires_at', type: 'timestamptz', precision: 3, nullable: true }) previousExpiresAt: Date | null;
  /** Feed position after the last delivered change (bigints as decimal strings). */
  @Column({ name: 'cursor_xid', type: 'bigint' }) cursorXid: string;
  @Column({ name: 'cursor_seq', type: 'bigint' }) cursorSeq: string;
  @Column({ name: 'lease_token', type: 'uuid', nullable: true }) leaseToken: string | null;
  /** Until when the lease holds; after a release, when it was released (claims take the longest-idle first). */
  @Column({ name: 'lease_expires_at', type: 'timestamptz', precision: 3, nullable: true }) leaseExpiresAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 }) updatedAt: Date;
}
