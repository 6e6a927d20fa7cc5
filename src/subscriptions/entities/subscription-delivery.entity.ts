import { Column, CreateDateColumn, Entity, Generated, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { SubscriptionEntity } from './subscription.entity';

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One batch of changes sent to a subscription: the exact body (so every retry sends the same bytes under the
 * same webhook-id), its feed cursor (after the batch's last change), and how its attempts went. At most one
 * is pending per subscription: later changes wait behind it.
 */
@Entity('subscription_deliveries')
@Index('uq_subscription_deliveries_pending', ['subscriptionId'], { unique: true, where: "status = 'pending'" })
@Index('ix_subscription_deliveries_list', ['subscriptionId', 'seq'])
@Index('ix_subscription_deliveries_due', ['nextAttemptAt'], { where: "status = 'pending'" })
export class SubscriptionDeliveryEntity {
  /** uuidv7, set by the worker. */
  @PrimaryColumn({ type: 'uuid' }) id: string;
  /** Creation order (the deliveries list is newest first by it; ids of one millisecond are not ordered). */
  @Column({ type: 'bigint' })
  @Generated('increment')
  seq: string;
  @Column({ name: 'subscription_id', type: 'uuid' }) subscriptionId: string;
  @ManyToOne(() => SubscriptionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subscription_id' })
  subscription?: SubscriptionEntity;
  /** The Standard Webhooks `webhook-id`, `msg_…`: the same on every retry of this delivery. */
  @Index('uq_subscription_deliveries_webhook_id', { unique: true })
  @Column({ name: 'webhook_id', type: 'varchar', length: 64 }) webhookId: string;
  @Column({ type: 'varchar', length: 16 }) status: DeliveryStatus;
  @Column({ type: 'int', default: 0 }) attempts: number;
  /** The encoded feed cursor after the batch's last change (the body's `cursor`). */
  @Column({ type: 'varchar', length: 120 }) cursor: string;
  @Column({ name: 'change_count', type: 'int' }) changeCount: number;
  /** The bytes sent, as sent. */
  @Column({ type: 'text' }) body: string;
  @Column({ name: 'next_attempt_at', type: 'timestamptz', precision: 3, nullable: true }) nextAttemptAt: Date | null;
  @Column({ name: 'last_status', type: 'int', nullable: true }) lastStatus: number | null;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 }) createdAt: Date;
  @Column({ name: 'delivered_at', type: 'timestamptz', precision: 3, nullable: true }) deliveredAt: Date | null;
}
