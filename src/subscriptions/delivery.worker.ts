import { randomUUID } from 'node:crypto';
import { Wakeup } from '../common/wakeup';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EVERY_ACCOUNT } from '../auth/principal';
import { decodeFeedCursor, encodeFeedCursor } from '../changes/change-cursor';
import { ChangeFeedRepository } from '../changes/change-feed.repository';
import { ChangeNotifier } from '../changes/change-notifier.service';
import { DomainError } from '../common/domain.error';
import { SecretBox } from '../common/secret-box';
import { uuidv7 } from '../common/uuidv7';
import { AppConfig } from '../config/app-config';
import { describeError } from '../database/database-errors';
import { nextRetryDelay } from '../ingestion/retry.policy';
import { ReadinessService } from '../ops/readiness.service';
import { DeliveryQueueRepository, LeasedSubscription } from './delivery-queue.repository';
import type { SubscriptionDeliveryEntity } from './entities/subscription-delivery.entity';
import { deliveryBody, webhookIdFor } from './subscription.mapper';
import { webhookHeaders } from './webhook-signer';
import { sendWebhook, SendResult } from './webhook-sender';

/** The contract's limits: ≤ 100 changes a delivery, a 2xx within 15 s. */
export const BATCH_SIZE = 100;
export const DELIVERY_TIMEOUT_MS = 15_000;
/** A lease outlives one attempt (15 s) and its few statements with room; a dead process's lease lapses after it. */
const LEASE_MS = 60_000;
/** Subscriptions worked at once by one process (each is strictly sequential itself). */
const CONCURRENCY = 16;
/** Looks again this often even without a notification (a change held back by an older open transaction notifies nothing when it becomes readable). */
const POLL_MS = 500;
/** Notifications under heavy write load come in floods: at most one claim per this. */
const MIN_CLAIM_GAP_MS = 20;
/** How often an idle worker looks whether any subscription is active (change hints are ignored while none is). */
const ACTIVE_CHECK_MS = 1_000;
const BACKOFF_MAX_MS = 10_000;
const LOOP_STALL_MS = 60_000;
/** After an unexpected error in a step (database, a secret that no longer opens), the subscription waits this long. */
const ERROR_HOLD_OFF_MS = 30_000;
/**
 * On shutdown, attempts still waiting for an answer after this are interrupted (not counted, lease released) so
 * the process exits within its budget (main.ts: 8 s; CONTRACT.md section 1: 10 s).
 */
const SHUTDOWN_GRACE_MS = 5_000;
/** The prefix of `failingReason` when the feed no longer holds the subscription's position. */
export const CURSOR_EXPIRED_REASON = 'cursor-expired';

/**
 * Delivers subscriptions (CONTRACT.md section 10), in every process with WORKER=on. Per subscription strictly
 * in order: a pending delivery is (re)sent — the same body under the same webhook-id, a fresh timestamp and
 * signature — when due; with none pending, the next ≤ 100 changes after its cursor become a new pending
 * delivery. A 2xx settles it and moves the cursor; anything else is retried on the section 5 schedule
 * (Retry-After honoured, capped at the last step); after the last retry, or on a 410, the delivery fails and
 * the subscription becomes `failing` with the changes still ahead of its cursor. No transaction is open during
 * an HTTP call; a lease (fenced writes) keeps two processes from working one subscription.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('SubscriptionDelivery');
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly wakeup = new Wakeup();
  /**
   * Whether any subscription is active, as last seen. With none, the change hints (every 50 ms while anything is
   * written) would run a claim each for nothing: measured, ~0.3 ms of worker CPU per processed event.
   */
  private anyActive = true;
  private anyActiveCheckedAt = 0;
  private unsubscribe: (() => void) | null = null;
  private lastLoopAt = 0;
  private lastClaimAt = 0;
  private claimFailures = 0;
  /** Aborted on shutdown once the grace period is over: interrupts attempts still waiting for an answer. */
  private readonly stopping = new AbortController();
  private stopped: Promise<void> | null = null;

  constructor(
    private readonly queue: DeliveryQueueRepository,
    private readonly feed: ChangeFeedRepository,
    private readonly notifier: ChangeNotifier,
    private readonly box: SecretBox,
    private readonly config: AppConfig,
    private readonly readiness: ReadinessService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.env.WORKER === 'off') return;
    this.running = true;
    this.lastLoopAt = Date.now();
    this.readiness.register('subscriptions', () =>
      Date.now() - this.lastLoopAt > LOOP_STALL_MS ? `subscription delivery loop stalled for ${Math.round((Date.now() - this.lastLoopAt) / 1000)} s` : null);
    this.loop = this.run();
  }

  /** The first shutdown hook: stop claiming and start the grace period now, beside the other modules' own waits. */
  onModuleDestroy(): void {
    void this.stop();
  }

  /** Waits for the attempts in flight (the database is still there until onApplicationShutdown). */
  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  private stop(): Promise<void> {
    if (!this.loop) return Promise.resolve();
    this.stopped ??= (async () => {
      this.running = false;
      this.listenForChanges(false);
      this.poke();
      const grace = setTimeout(() => this.stopping.abort(), SHUTDOWN_GRACE_MS);
      try {
        await this.loop;
        await Promise.allSettled([...this.inFlight]);
      } finally {
        clearTimeout(grace);
      }
    })();
    return this.stopped;
  }

  /** New work may be there (a change committed, a subscription created or resumed): look now. */
  poke(): void {
    this.setActive(true);
    this.wakeup.poke();
  }

  /**
   * Change hints only while some subscription is active: the notifier reads the feed's sequence every 50 ms
   * while anyone listens, which an idle process (or one with no subscriptions at all) should not pay for.
   */
  private setActive(active: boolean): void {
    this.anyActive = active;
    this.listenForChanges(active && this.running);
  }

  private listenForChanges(on: boolean): void {
    if (on && !this.unsubscribe) this.unsubscribe = this.notifier.subscribe(() => this.wakeup.poke());
    if (!on && this.unsubscribe) {
      this.unsubscribe();
      this.unsubscribe = null;
    }
  }

  private get policy() {
    return { allowHttp: this.config.env.SUBSCRIPTIONS_ALLOW_HTTP === 'true', allowPrivate: this.config.env.SUBSCRIPTIONS_ALLOW_PRIVATE === 'true' };
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.lastLoopAt = Date.now();
      let idleFor = POLL_MS;
      const room = CONCURRENCY - this.inFlight.size;
      if (room > 0 && Date.now() - this.anyActiveCheckedAt >= ACTIVE_CHECK_MS) {
        this.anyActiveCheckedAt = Date.now();
        this.setActive(await this.queue.anyActive().catch(() => true));
      }
      if (room > 0 && !this.anyActive) {
        await this.wakeup.sleep(POLL_MS);
        continue;
      }
      if (room > 0) {
        this.wakeup.clear();
        const gap = this.lastClaimAt + MIN_CLAIM_GAP_MS - Date.now();
        if (gap > 0) await new Promise((r) => setTimeout(r, gap));
        this.lastClaimAt = Date.now();
        try {
          const claimed = await this.queue.claim(room, randomUUID(), LEASE_MS);
          for (const sub of claimed) this.start(sub);
          if (claimed.length < room) {
            const due = await this.queue.nextDueAt();
            if (due) idleFor = Math.max(10, Math.min(idleFor, due.getTime() - Date.now()));
          } else {
            continue;
          }
          if (this.claimFailures > 0) this.logger.log({ failedClaims: this.claimFailures }, 'subscription claims work again');
          this.claimFailures = 0;
        } catch (e) {
          this.claimFailures += 1;
          idleFor = Math.min(BACKOFF_MAX_MS, 500 * 2 ** Math.min(10, this.claimFailures - 1));
          if (this.running && (this.claimFailures === 1 || this.claimFailures % 6 === 0)) {
            this.logger.error({ err: describeError(e), failedClaims: this.claimFailures, retryInMs: idleFor }, 'subscription claim failed; backing off');
          }
        }
      }
      if (this.running) await this.wakeup.sleep(idleFor);
    }
  }

  private start(sub: LeasedSubscription): void {
    const p: Promise<void> = this.process(sub)
      .catch(async (e) => {
        // Not released at once: an error that repeats would spin. The lease lapses after the hold-off.
        this.logger.error({ subscriptionId: sub.id, err: describeError(e), retryInMs: ERROR_HOLD_OFF_MS }, 'subscription delivery step failed');
        await this.queue.holdOff(sub, ERROR_HOLD_OFF_MS).catch(() => undefined);
      })
      .finally(() => {
        this.inFlight.delete(p);
        this.poke();
      });
    this.inFlight.add(p);
  }

  /** One step of one leased subscription: (re)send its pending delivery, or make the next one from the feed. */
  private async process(sub: LeasedSubscription): Promise<void> {
    const pending = await this.queue.pendingDelivery(sub.id);
    if (pending) {
      if (pending.nextAttemptAt && pending.nextAttemptAt.getTime() > Date.now()) return this.queue.release(sub);
      return this.attempt(sub, pending);
    }
    let read;
    try {
      read = await this.feed.read(sub.accountId === null ? EVERY_ACCOUNT : { accountId: sub.accountId }, sub.cursor, { types: sub.types ?? undefined }, BATCH_SIZE);
    } catch (e) {
      if (e instanceof DomainError && e.status === 410) {
        const reason = `${CURSOR_EXPIRED_REASON}: the changes after this subscription's position are older than the feed keeps (CHANGES_RETENTION_DAYS); resync from the lists with updatedSince, then PATCH status active to continue from the oldest retained change`;
        this.logger.warn({ subscriptionId: sub.id }, 'subscription position is older than the feed retention; failing');
        return this.queue.markFailing(sub, reason);
      }
      throw e;
    }
    if (read.entries.length === 0) return this.queue.advanceIdle(sub, read.next);
    const id = uuidv7();
    const cursor = encodeFeedCursor(read.entries[read.entries.length - 1].position);
    const delivery = await this.queue.createDelivery(sub, {
      id, webhookId: webhookIdFor(id), cursor, changeCount: read.entries.length,
      body: deliveryBody(sub.id, cursor, read.entries.map((e) => e.item)),
    });
    if (!delivery) return this.queue.release(sub);
    return this.attempt(sub, delivery);
  }

  private async attempt(sub: LeasedSubscription, delivery: SubscriptionDeliveryEntity): Promise<void> {
    const secrets = [this.box.open<string>(sub.secret), ...(sub.previousSecret ? [this.box.open<string>(sub.previousSecret)] : [])];
    const headers = webhookHeaders(secrets, delivery.webhookId, delivery.body);
    const result = await sendWebhook(sub.url, delivery.body, headers, { policy: this.policy, timeoutMs: DELIVERY_TIMEOUT_MS, signal: this.stopping.signal });
    const attempt = delivery.attempts + 1;
    const log = { subscriptionId: sub.id, deliveryId: delivery.id, webhookId: delivery.webhookId, attempt, status: result.status ?? undefined };
    if (result.interrupted) {
      // Shutting down: not the receiver's failure. Sent again (same id and body) by whichever process claims it next.
      this.logger.log(log, 'delivery interrupted by shutdown; it stays pending');
      return this.queue.release(sub);
    }
    if (result.error === null) {
      const held = await this.queue.settleSucceeded(sub, delivery.id, result.status as number, decodeFeedCursor(delivery.cursor));
      if (!held) this.logger.warn(log, 'delivered, but the subscription was deleted or its lease taken over meanwhile (a new holder sends it again, same webhook-id)');
      else this.logger.debug({ ...log, changes: delivery.changeCount }, 'delivered');
      return;
    }
    await this.settleFailure(sub, delivery, result, attempt, log);
  }

  private async settleFailure(sub: LeasedSubscription, delivery: SubscriptionDeliveryEntity, result: SendResult, attempt: number, log: Record<string, unknown>): Promise<void> {
    const error = (result.error as string).slice(0, 1000);
    const delay = result.status === 410 ? null : nextRetryDelay(this.config.retrySchedule, attempt, result.retryAfterMs);
    if (delay === null) {
      const reason = result.status === 410
        ? `the receiver answered 410 Gone (delivery ${delivery.id}); PATCH status active to send again from this batch`
        : `delivery ${delivery.id} failed ${attempt} times (last: ${error}); PATCH status active to send again from this batch`;
      await this.queue.settleFailed(sub, delivery.id, { status: result.status, error, reason });
      this.logger.warn({ ...log, err: error }, 'delivery failed for good; subscription failing');
      return;
    }
    await this.queue.settleRetry(sub, delivery.id, { status: result.status, error, delayMs: delay });
    this.logger.warn({ ...log, err: error, retryInMs: delay }, 'delivery attempt failed; will retry');
  }
}
