import type { ChangeItem } from '../changes/change-feed.repository';
import { deliveryBody, toDeliveryView, toSubscriptionView, webhookIdFor } from './subscription.mapper';
import type { SubscriptionDeliveryEntity } from './entities/subscription-delivery.entity';
import type { SubscriptionEntity } from './entities/subscription.entity';

describe('subscription mapper', () => {
  const at = new Date('2026-12-01T10:00:00.123Z');
  const sub = {
    id: 'a', url: 'https://h.example/x', types: null, accountId: null, status: 'active', description: null, failingReason: 'old reason',
    secret: Buffer.from('sealed'), previousSecret: null, previousExpiresAt: null, cursorXid: '1', cursorSeq: '2', leaseToken: 't', leaseExpiresAt: at,
    createdAt: at, updatedAt: at,
  } as SubscriptionEntity;

  it('shows a subscription without its secrets, cursor or lease', () => {
    const view = toSubscriptionView(sub);
    expect(view).toEqual({ id: 'a', url: 'https://h.example/x', types: null, accountId: null, status: 'active', description: null, failingReason: null,
      createdAt: '2026-12-01T10:00:00.123Z', updatedAt: '2026-12-01T10:00:00.123Z' });
    expect(JSON.stringify(view)).not.toMatch(/sealed|secret|lease|cursor/i);
    expect(toSubscriptionView({ ...sub, status: 'failing', types: ['los', 'booking'] } as SubscriptionEntity)).toMatchObject({ failingReason: 'old reason', types: ['los', 'booking'] });
  });

  it('shows a delivery without its body', () => {
    const d = { id: 'd', seq: '9', subscriptionId: 'a', webhookId: 'msg_x', status: 'pending', attempts: 2, cursor: 'c', changeCount: 3, body: '{"secret":1}',
      nextAttemptAt: at, lastStatus: 500, lastError: 'answered 500', createdAt: at, deliveredAt: null } as SubscriptionDeliveryEntity;
    expect(toDeliveryView(d)).toEqual({ id: 'd', webhookId: 'msg_x', status: 'pending', attempts: 2, cursor: 'c', changeCount: 3, lastStatus: 500,
      lastError: 'answered 500', nextAttemptAt: at.toISOString(), createdAt: at.toISOString(), deliveredAt: null });
    expect(toDeliveryView({ ...d, status: 'succeeded', deliveredAt: at } as SubscriptionDeliveryEntity)).toMatchObject({ nextAttemptAt: null, deliveredAt: at.toISOString() });
  });

  it('serialises the contract body and derives the webhook id', () => {
    const change: ChangeItem = { id: '5', type: 'resource', op: 'upsert', locationId: 'l', resourceId: 'r', entityId: 'r', changedAt: at.toISOString(), data: null };
    expect(JSON.parse(deliveryBody('sub', 'cur', [change]))).toEqual({ type: 'inventory.changes', subscriptionId: 'sub', cursor: 'cur', changes: [change] });
    expect(webhookIdFor('0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b')).toBe('msg_0190a1b2c3d47e5f8a9b0c1d2e3f4a5b');
  });
});
