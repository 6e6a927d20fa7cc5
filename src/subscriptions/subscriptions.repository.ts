import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Tenant } from '../auth/principal';
import type { FeedPosition } from '../changes/change-cursor';
import type { ChangeType } from '../changes/entities/change.entity';
import { SubscriptionDeliveryEntity } from './entities/subscription-delivery.entity';
import { SubscriptionEntity, SubscriptionStatus } from './entities/subscription.entity';

export interface NewSubscription {
  id: string;
  accountId: string | null;
  url: string;
  types: ChangeType[] | null;
  description: string | null;
  secret: Buffer;
  cursor: FeedPosition;
}

export interface SubscriptionPatch {
  url?: string;
  types?: ChangeType[] | null;
  description?: string | null;
  status?: SubscriptionStatus;
  failingReason?: string | null;
  cursor?: FeedPosition;
}

/**
 * The admin API's reads and writes of subscriptions and their delivery log. Every method takes the caller's
 * Tenant: an account credential reaches its own account's subscriptions only (another's is as absent as a
 * missing one: 404).
 */
@Injectable()
export class SubscriptionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get subscriptions() {
    return this.dataSource.getRepository(SubscriptionEntity);
  }

  private scoped(tenant: Tenant, id: string) {
    return tenant.accountId === null ? { id } : { id, accountId: tenant.accountId };
  }

  async insert(row: NewSubscription): Promise<SubscriptionEntity> {
    await this.subscriptions.insert({
      id: row.id, accountId: row.accountId, url: row.url, types: row.types, description: row.description, status: 'active',
      failingReason: null, secret: row.secret, previousSecret: null, previousExpiresAt: null, cursorXid: row.cursor.xid, cursorSeq: row.cursor.seq,
      leaseToken: null, leaseExpiresAt: null,
    });
    return (await this.subscriptions.findOneBy({ id: row.id }))!;
  }

  findVisible(tenant: Tenant, id: string): Promise<SubscriptionEntity | null> {
    return this.subscriptions.findOneBy(this.scoped(tenant, id));
  }

  list(tenant: Tenant, filter: { status?: SubscriptionStatus; after?: [string, string] }, limit: number): Promise<SubscriptionEntity[]> {
    const qb = this.subscriptions.createQueryBuilder('s').orderBy('s.created_at', 'ASC').addOrderBy('s.id', 'ASC').limit(limit);
    if (tenant.accountId !== null) qb.andWhere('s.account_id = :accountId', { accountId: tenant.accountId });
    if (filter.status) qb.andWhere('s.status = :status', { status: filter.status });
    if (filter.after) qb.andWhere('(s.created_at, s.id) > (:at::timestamptz, :id::uuid)', { at: filter.after[0], id: filter.after[1] });
    return qb.getMany();
  }

  /** False when the tenant has no such subscription. */
  async update(tenant: Tenant, id: string, patch: SubscriptionPatch): Promise<boolean> {
    const { cursor, ...rest } = patch;
    const set: Partial<SubscriptionEntity> = { ...rest };
    if (cursor) Object.assign(set, { cursorXid: cursor.xid, cursorSeq: cursor.seq });
    const result = await this.subscriptions.update(this.scoped(tenant, id), set);
    return (result.affected ?? 0) > 0;
  }

  /** Its deliveries go with it (ON DELETE CASCADE). */
  async remove(tenant: Tenant, id: string): Promise<boolean> {
    const result = await this.subscriptions.delete(this.scoped(tenant, id));
    return (result.affected ?? 0) > 0;
  }

  /** The current secret becomes the previous one (signing beside the new one for `overlapMs`), in one statement. */
  async rotateSecret(tenant: Tenant, id: string, sealed: Buffer, overlapMs: number): Promise<boolean> {
    const params: unknown[] = [id, sealed, overlapMs / 1000];
    if (tenant.accountId !== null) params.push(tenant.accountId);
    const [, affected] = (await this.dataSource.query(
      `UPDATE subscriptions SET previous_secret = secret, previous_expires_at = now() + make_interval(secs => $3), secret = $2, updated_at = now()
        WHERE id = $1 ${tenant.accountId !== null ? 'AND account_id = $4' : ''} RETURNING id`,
      params,
    )) as [unknown[], number];
    return affected > 0;
  }

  /** Newest first (creation order); `beforeSeq` continues a page. Scoped through the subscription's account. */
  listDeliveries(tenant: Tenant, subscriptionId: string, beforeSeq: string | null, limit: number): Promise<SubscriptionDeliveryEntity[]> {
    const qb = this.dataSource.getRepository(SubscriptionDeliveryEntity).createQueryBuilder('d')
      .innerJoin(SubscriptionEntity, 's', 's.id = d.subscription_id')
      .where('d.subscription_id = :subscriptionId', { subscriptionId })
      .orderBy('d.seq', 'DESC')
      .limit(limit);
    if (tenant.accountId !== null) qb.andWhere('s.account_id = :accountId', { accountId: tenant.accountId });
    if (beforeSeq !== null) qb.andWhere('d.seq < :before', { before: beforeSeq });
    return qb.getMany();
  }
}
