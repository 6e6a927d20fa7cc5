import type { ChangeItem } from '../changes/change-feed.repository';
import type { DeliveryView, SubscriptionView } from './dto/subscription.dto';
import type { SubscriptionDeliveryEntity } from './entities/subscription-delivery.entity';
import type { SubscriptionEntity } from './entities/subscription.entity';

export function toSubscriptionView(s: SubscriptionEntity): SubscriptionView {
  return {
    id: s.id,
    url: s.url,
    types: s.types && s.types.length > 0 ? [...s.types] : null,
    accountId: s.accountId,
    status: s.status,
    description: s.description,
    failingReason: s.status === 'failing' ? s.failingReason : null,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

export function toDeliveryView(d: SubscriptionDeliveryEntity): DeliveryView {
  return {
    id: d.id,
    webhookId: d.webhookId,
    status: d.status,
    attempts: d.attempts,
    cursor: d.cursor,
    changeCount: d.changeCount,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    nextAttemptAt: d.status === 'pending' && d.nextAttemptAt ? d.nextAttemptAt.toISOString() : null,
    createdAt: d.createdAt.toISOString(),
    deliveredAt: d.deliveredAt ? d.deliveredAt.toISOString() : null,
  };
}

/** The payload of one delivery (CONTRACT.md section 10), serialised once: retries send these exact bytes. */
export function deliveryBody(subscriptionId: string, cursor: string, changes: readonly ChangeItem[]): string {
  return JSON.stringify({ type: 'inventory.changes', subscriptionId, cursor, changes });
}

/** `msg_` + the delivery id's 32 hex digits: unique, and the same on every retry of the delivery. */
export function webhookIdFor(deliveryId: string): string {
  return `msg_${deliveryId.replace(/-/g, '')}`;
}
