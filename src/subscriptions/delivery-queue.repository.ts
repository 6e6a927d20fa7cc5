import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { FeedPosition } from '../changes/change-cursor';
import type { ChangeType } from '../changes/entities/change.entity';
import { SubscriptionDeliveryEntity } from './entities/subscription-delivery.entity';

/** A subscription the worker holds a lease on (and what it needs to deliver: target, position, secrets). */
export interface LeasedSubscription {
  id: string;
  accountId: string | null;
  url: string;
  types: ChangeType[] | null;
  cursor: FeedPosition;
  secret: Buffer;
  /** Sealed previous secret while it is still within its overlap; else null. */
  previousSecret: Buffer | null;
  leaseToken: string;
}

interface LeasedRow {
  id: string;
  account_id: string | null;
  url: string;
  types: ChangeType[] | null;
  cursor_xid: string;
  cursor_seq: string;
  secret: Buffer;
  previous_secret: Buffer | null;
  lease_token: string;
}

export interface NewDelivery {
  id: string;
  webhookId: string;
  cursor: string;
  changeCount: number;
  body: string;
}

/** Every write below takes effect only while the caller's lease holds (fenced by `lease_token`). */
type Lease = Pick<LeasedSubscription, 'id' | 'leaseToken'>;

/**
 * The delivery worker's statements. A claim leases subscriptions that have work (a pending delivery that is
 * due, or — with none pending — a change of their account after their cursor) in one short statement
 * (FOR UPDATE SKIP LOCKED, so processes never take the same row); the HTTP call runs outside any transaction;
 * settling (delivery outcome + cursor + lease release) is one short transaction, refused if the lease was lost.
 */
@Injectable()
export class DeliveryQueueRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Up to `limit` active subscriptions with work, longest idle first, leased for `leaseMs` under `token`. Changes
   * count only below the snapshot's xmin (what the feed can hand out), whatever their type: the read then
   * skips past changes of other types, so an idle subscription's cursor keeps up with the feed.
   */
  async claim(limit: number, token: string, leaseMs: number): Promise<LeasedSubscription[]> {
    const [rows] = (await this.dataSource.query(
      `WITH h AS (SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint AS horizon),
       picked AS (
         SELECT s.id FROM subscriptions s, h
          WHERE s.status = 'active'
            AND (s.lease_token IS NULL OR s.lease_expires_at < now())
            AND CASE WHEN EXISTS (SELECT 1 FROM subscription_deliveries d WHERE d.subscription_id = s.id AND d.status = 'pending')
                  THEN EXISTS (SELECT 1 FROM subscription_deliveries d WHERE d.subscription_id = s.id AND d.status = 'pending' AND d.next_attempt_at <= now())
                WHEN s.account_id IS NULL
                  THEN EXISTS (SELECT 1 FROM changes c WHERE (c.xid, c.seq) > (s.cursor_xid, s.cursor_seq) AND c.xid < h.horizon)
                ELSE EXISTS (SELECT 1 FROM changes c WHERE c.account_id = s.account_id AND (c.xid, c.seq) > (s.cursor_xid, s.cursor_seq) AND c.xid < h.horizon)
                END
          ORDER BY s.lease_expires_at ASC NULLS FIRST, s.id
          LIMIT $1
          FOR UPDATE OF s SKIP LOCKED)
       UPDATE subscriptions s SET lease_token = $2, lease_expires_at = now() + make_interval(secs => $3)
         FROM picked WHERE s.id = picked.id
       RETURNING s.id, s.account_id, s.url, s.types, s.cursor_xid::text AS cursor_xid, s.cursor_seq::text AS cursor_seq, s.secret,
                 CASE WHEN s.previous_expires_at > now() THEN s.previous_secret END AS previous_secret, s.lease_token`,
      [limit, token, leaseMs / 1000],
    )) as [LeasedRow[], number];
    return rows.map((r) => ({
      id: r.id, accountId: r.account_id, url: r.url, types: r.types, cursor: { xid: r.cursor_xid, seq: r.cursor_seq },
      secret: r.secret, previousSecret: r.previous_secret, leaseToken: r.lease_token,
    }));
  }

  async anyActive(): Promise<boolean> {
    const [row] = await this.dataSource.query(`SELECT EXISTS (SELECT 1 FROM subscriptions WHERE status = 'active') AS any`);
    return row.any === true;
  }

  /** When the earliest retry of an active subscription is due (to sleep until then). */
  async nextDueAt(): Promise<Date | null> {
    const [row] = await this.dataSource.query(
      `SELECT min(d.next_attempt_at) AS due FROM subscription_deliveries d JOIN subscriptions s ON s.id = d.subscription_id
        WHERE d.status = 'pending' AND s.status = 'active'`);
    return row?.due ? new Date(row.due) : null;
  }

  pendingDelivery(subscriptionId: string): Promise<SubscriptionDeliveryEntity | null> {
    return this.dataSource.getRepository(SubscriptionDeliveryEntity).findOneBy({ subscriptionId, status: 'pending' });
  }

  /** A new pending delivery, due now; null if the lease was lost (or the subscription deleted or paused meanwhile). */
  async createDelivery(lease: Lease, d: NewDelivery): Promise<SubscriptionDeliveryEntity | null> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO subscription_deliveries (id, subscription_id, webhook_id, status, attempts, cursor, change_count, body, next_attempt_at)
       SELECT $3, s.id, $4, 'pending', 0, $5, $6, $7, now() FROM subscriptions s
        WHERE s.id = $1 AND s.lease_token = $2 AND s.status = 'active'
       RETURNING id`,
      [lease.id, lease.leaseToken, d.id, d.webhookId, d.cursor, d.changeCount, d.body],
    );
    if (rows.length === 0) return null;
    return this.dataSource.getRepository(SubscriptionDeliveryEntity).findOneBy({ id: d.id });
  }

  /** Nothing to send: the cursor moves past what the read saw (never backwards) and the lease is released. */
  async advanceIdle(lease: Lease, to: FeedPosition): Promise<void> {
    await this.dataSource.query(
      `UPDATE subscriptions SET lease_token = NULL, lease_expires_at = now(),
              cursor_xid = CASE WHEN (cursor_xid, cursor_seq) < ($3::bigint, $4::bigint) THEN $3::bigint ELSE cursor_xid END,
              cursor_seq = CASE WHEN (cursor_xid, cursor_seq) < ($3::bigint, $4::bigint) THEN $4::bigint ELSE cursor_seq END
        WHERE id = $1 AND lease_token = $2`,
      [lease.id, lease.leaseToken, to.xid, to.seq],
    );
  }

  /** Something unexpected went wrong: keep the lease (so no process takes it) for `ms`, then it lapses and is claimed again. */
  async holdOff(lease: Lease, ms: number): Promise<void> {
    await this.dataSource.query(`UPDATE subscriptions SET lease_expires_at = now() + make_interval(secs => $3) WHERE id = $1 AND lease_token = $2`,
      [lease.id, lease.leaseToken, ms / 1000]);
  }

  async release(lease: Lease): Promise<void> {
    await this.dataSource.query(`UPDATE subscriptions SET lease_token = NULL, lease_expires_at = now() WHERE id = $1 AND lease_token = $2`, [lease.id, lease.leaseToken]);
  }

  /** Delivered: the delivery succeeded and the cursor moves to its end, together. False if the lease was lost. */
  settleSucceeded(lease: Lease, deliveryId: string, status: number, to: FeedPosition): Promise<boolean> {
    return this.settle(lease,
      `cursor_xid = $3::bigint, cursor_seq = $4::bigint`, [to.xid, to.seq],
      `status = 'succeeded', attempts = attempts + 1, last_status = $2, last_error = NULL, next_attempt_at = NULL, delivered_at = now()`, [deliveryId, status]);
  }

  /** A failed attempt that will be retried in `delayMs`. */
  settleRetry(lease: Lease, deliveryId: string, outcome: { status: number | null; error: string; delayMs: number }): Promise<boolean> {
    return this.settle(lease, null, [],
      `attempts = attempts + 1, last_status = $2, last_error = $3, next_attempt_at = now() + make_interval(secs => $4)`,
      [deliveryId, outcome.status, outcome.error, outcome.delayMs / 1000]);
  }

  /**
   * The last attempt failed (or the receiver answered 410): the delivery is failed and the subscription
   * `failing` (unless it was paused meanwhile); its cursor stays before the batch, so a PATCH to active
   * sends these changes again.
   */
  settleFailed(lease: Lease, deliveryId: string, outcome: { status: number | null; error: string; reason: string }): Promise<boolean> {
    return this.settle(lease,
      `status = CASE WHEN status = 'active' THEN 'failing' ELSE status END,
       failing_reason = CASE WHEN status = 'active' THEN $3 ELSE failing_reason END,
       updated_at = CASE WHEN status = 'active' THEN now() ELSE updated_at END`, [outcome.reason],
      `status = 'failed', attempts = attempts + 1, last_status = $2, last_error = $3, next_attempt_at = NULL`, [deliveryId, outcome.status, outcome.error]);
  }

  /** The subscription cannot go on by itself (its cursor is older than the feed's retention): `failing`, with why. */
  async markFailing(lease: Lease, reason: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE subscriptions SET status = 'failing', failing_reason = $3, updated_at = now(), lease_token = NULL, lease_expires_at = now()
        WHERE id = $1 AND lease_token = $2 AND status = 'active'`,
      [lease.id, lease.leaseToken, reason],
    );
    await this.release(lease);
  }

  /**
   * One transaction: the subscription row (fenced by the lease, which it releases; `subscriptionSet` with its
   * parameters from $3), then the pending delivery (`deliverySet`, parameters from $2; $1 is its id).
   */
  private async settle(lease: Lease, subscriptionSet: string | null, subscriptionParams: unknown[], deliverySet: string, deliveryParams: unknown[]): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const [, held] = (await m.query(
        `UPDATE subscriptions SET lease_token = NULL, lease_expires_at = now()${subscriptionSet ? `, ${subscriptionSet}` : ''}
          WHERE id = $1 AND lease_token = $2`,
        [lease.id, lease.leaseToken, ...subscriptionParams],
      )) as [unknown[], number];
      if (held === 0) return false;
      const [, updated] = (await m.query(
        `UPDATE subscription_deliveries SET ${deliverySet} WHERE id = $1 AND status = 'pending'`, deliveryParams)) as [unknown[], number];
      if (updated === 0) throw new Error(`delivery ${deliveryParams[0]} is no longer pending under a held lease`);
      return true;
    });
  }
}
