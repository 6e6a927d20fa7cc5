import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { poolOf } from '../database/leader-lock';
import { Wakeup } from '../common/wakeup';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { describeError } from '../database/database-errors';
import { MetricsService } from '../ops/metrics.service';
import { ReadinessService } from '../ops/readiness.service';
import { ClaimedEvent, EventQueueRepository, Settlement } from './event-queue.repository';
import { toInboundEvent } from './event-row';
import { handlerContext } from './handler-context';
import { HandlerRegistry } from './handler.registry';
import { HandleResult, holdCause, PermanentError, RESYNC_EVENT, RESYNC_TIMEOUT_MS, RetryableError } from './provider-handler';
import { PgListener } from '../database/pg-listener';
import { nextRetryDelay } from './retry.policy';

/** Idle: how long to sleep when notifications work (LISTEN), and when they don't. */
const IDLE_MS = 5000;
const POLL_MS = 200;
/** Claims failing (database down): wait this long after the first failure, doubling up to the maximum. */
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;
const LOOP_STALL_MS = 60_000;
const SHUTDOWN_WAIT_MS = 9000;
/** After aborting a handler that ran out of time, how long to wait for it to stop (capped by its timeout). */
const ABORT_GRACE_MS = 10_000;

class HandlerTimeout extends Error {}

/**
 * Claims events from PostgreSQL and runs their provider handler, WORKER_CONCURRENCY at a time. The claim
 * takes items, one event each, so any number of processes can run this; every settle carries the claim's
 * token. Intake in any process wakes it (NOTIFY); a retry due later wakes it by timer.
 */
@Injectable()
export class WorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Worker');
  private running = false;
  private inFlight = new Set<Promise<void>>();
  /** Claimed, waiting for a free slot (see `run`). */
  private ready: ClaimedEvent[] = [];
  /** The events running now. */
  private runningEvents = new Map<string, ClaimedEvent>();
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly wakeup = new Wakeup();
  private loop: Promise<void> | null = null;
  private lastLoopAt = 0;
  /** Consecutive failed claims (0 = healthy). */
  private claimFailures = 0;
  private readonly wakeups: PgListener;

  constructor(
    private readonly queue: EventQueueRepository,
    private readonly registry: HandlerRegistry,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
    private readonly readiness: ReadinessService,
    @InjectDataSource() dataSource: DataSource,
  ) {
    this.wakeups = new PgListener(poolOf(dataSource), 'inbound_events', () => this.poke());
  }

  onApplicationBootstrap(): void {
    if (this.config.env.WORKER === 'off') return;
    this.running = true;
    this.lastLoopAt = Date.now();
    // The loop comes round at least every IDLE_MS (or its database backoff): far longer means it is stuck.
    this.readiness.register('worker', () => (Date.now() - this.lastLoopAt > LOOP_STALL_MS ? `worker loop stalled for ${Math.round((Date.now() - this.lastLoopAt) / 1000)} s` : null));
    this.loop = this.run();
    // Claimed events keep their lock while they run or wait here, however long a handler is allowed to take;
    // only a process that died lets them expire (then another process reclaims them).
    const every = Math.min(10_000, Math.max(100, Math.floor(this.config.env.HANDLER_TIMEOUT_MS / 3)));
    this.heartbeat = setInterval(() => void this.extendLocks(), every);
    this.heartbeat.unref();
    void this.wakeups.start();
  }

  private async extendLocks(): Promise<void> {
    try {
      await this.queue.extendClaims([...this.runningEvents.values(), ...this.ready], this.lockMs);
    } catch (e) {
      if (this.running) this.logger.warn({ err: describeError(e) }, 'lock heartbeat failed');
    }
  }

  private get lockMs(): number {
    return this.config.env.HANDLER_TIMEOUT_MS + 30_000;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.wakeups.stop();
    this.poke();
    await Promise.race([
      (async () => {
        await this.loop;
        // Claimed but not started: back in line now rather than after their lock expires.
        const unstarted = this.ready.splice(0);
        if (unstarted.length > 0) await this.queue.release(unstarted).catch(() => undefined);
        await Promise.allSettled([...this.inFlight]);
      })(),
      new Promise((r) => setTimeout(r, SHUTDOWN_WAIT_MS).unref()),
    ]);
  }

  /** New work may be there: skip the rest of the poll wait. */
  poke(): void {
    this.wakeup.poke();
  }

  /**
   * Claims ahead: up to WORKER_CONCURRENCY events run, and as many more wait here, claimed, for the next free
   * slot. So a slot that frees up starts its next event without a round trip, and claims come in batches
   * (measured: at 500 events/s, 2xx → done p50 ~190 ms with claims of one or two, ~40 ms with this). The locks
   * of running and waiting events are extended by a heartbeat, so waiting costs nothing in safety.
   */
  private async run(): Promise<void> {
    const concurrency = this.config.env.WORKER_CONCURRENCY;
    const lockMs = this.lockMs;
    const halfBatch = Math.ceil(concurrency / 2);
    // A claim that expired while processing counts as an attempt; after as many as the schedule has, dead.
    const maxAttempts = this.config.retrySchedule.length;
    while (this.running) {
      this.lastLoopAt = Date.now();
      this.startReady(concurrency);
      const room = 2 * concurrency - this.inFlight.size - this.ready.length;
      let idleFor = this.wakeups.listening ? IDLE_MS : POLL_MS;
      if (room >= halfBatch) {
        this.wakeup.clear();
        let claimed: ClaimedEvent[] = [];
        try {
          const timer = this.metrics.claimDuration.startTimer();
          claimed = await this.queue.claim(room, lockMs, maxAttempts);
          timer();
          if (claimed.length < room) {
            const due = await this.queue.nextDueAt();
            if (due) idleFor = Math.max(10, Math.min(idleFor, due.getTime() - Date.now()));
          }
          if (this.claimFailures > 0) this.logger.log({ failedClaims: this.claimFailures }, 'claims work again');
          this.claimFailures = 0;
        } catch (e) {
          // One line when it starts and then one per minute or so, not one per attempt.
          this.claimFailures += 1;
          idleFor = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(10, this.claimFailures - 1));
          if (this.running && (this.claimFailures === 1 || this.claimFailures % 6 === 0)) {
            this.logger.error({ err: describeError(e), failedClaims: this.claimFailures, retryInMs: idleFor }, 'claim failed; backing off');
          }
        }
        if (claimed.length > 0) {
          // Critical first, then arrival order (RETURNING does not keep the subquery's order).
          claimed.sort((a, b) => a.priority - b.priority || Number(BigInt(a.seq) - BigInt(b.seq)));
          this.ready.push(...claimed);
          this.startReady(concurrency);
        }
        // A full batch: there may be more right away.
        if (claimed.length > 0 && claimed.length === room) continue;
      }
      // Every path through the loop awaits something: all slots busy must wait for a completion, not spin.
      await this.wakeup.sleep(idleFor);
    }
  }

  private startReady(concurrency: number): void {
    while (this.running && this.inFlight.size < concurrency && this.ready.length > 0) {
      const row = this.ready.shift()!;
      this.runningEvents.set(row.id, row);
      const p: Promise<void> = this.process(row).finally(() => {
        this.runningEvents.delete(row.id);
        this.inFlight.delete(p);
        this.poke();
      });
      this.inFlight.add(p);
    }
  }

  private async process(row: ClaimedEvent): Promise<void> {
    const provider = row.provider;
    const stop = this.metrics.processingDuration.startTimer({ provider });
    const handler = this.registry.get(provider);
    let outcome: string;
    try {
      if (!handler) {
        outcome = await this.settle(row, { status: 'ignored', note: `no handler for provider ${provider}`, connectionId: null });
      } else if ((this.config.enabled as unknown as Record<string, boolean | undefined>)[provider] === false) {
        // Stored while the provider was configured, run after its client credentials were removed: kept
        // (retried) for when they are back, instead of calling the provider with empty credentials.
        throw new RetryableError(`${provider} is not configured on this server`);
      } else {
        const event = toInboundEvent(row);
        const timeoutMs = Math.max(
          this.config.env.HANDLER_TIMEOUT_MS,
          event.eventType === RESYNC_EVENT ? RESYNC_TIMEOUT_MS : 0,
          handler.timeoutFor?.(event) ?? 0,
        );
        const controller = new AbortController();
        const work = handlerContext.run({ eventId: row.id, signal: controller.signal }, () => handler.handle(event));
        const result = await this.withTimeout(work, timeoutMs, controller, row.id);
        outcome = await this.apply(row, result);
      }
    } catch (e) {
      outcome = await this.fail(row, e);
    }
    stop();
    this.metrics.eventsProcessed.inc({ provider, outcome });
    this.logger.log({ eventId: row.id, reqId: row.request_id ?? undefined, provider, eventType: row.event_type, attempt: row.attempts, outcome }, 'event processed');
  }

  private apply(row: ClaimedEvent, result: HandleResult): Promise<string> {
    const connectionId = result.connectionId ?? null;
    switch (result.outcome) {
      case 'done':
        return this.settle(row, { status: 'done', note: null, connectionId });
      case 'ignored':
        return this.settle(row, { status: 'ignored', note: result.reason, connectionId });
      case 'held':
        return this.settle(row, {
          status: 'held', note: result.reason, connectionId,
          cause: result.cause ?? (connectionId ? holdCause.connection(connectionId) : holdCause.provider(row.provider)),
        });
    }
  }

  private async fail(row: ClaimedEvent, e: unknown): Promise<string> {
    const error = e instanceof Error ? e : new Error(String(e));
    const message = error instanceof HandlerTimeout ? 'handler timed out' : error.message || error.name;
    const delay = error instanceof PermanentError
      ? null
      : nextRetryDelay(this.config.retrySchedule, row.attempts, error instanceof RetryableError ? error.retryAfterMs : undefined);
    const outcome = await this.settle(row, delay === null ? { status: 'dead', note: message } : { status: 'failed', note: message, retryInMs: delay }).catch((dbError: Error) => {
      // The claim expires and the event is taken over: nothing is lost.
      this.logger.error({ eventId: row.id, err: describeError(dbError) }, 'could not record failure');
      return 'unrecorded';
    });
    this.logger.warn({ eventId: row.id, reqId: row.request_id ?? undefined, provider: row.provider, attempt: row.attempts, err: message, retryInMs: delay }, 'event failed');
    return outcome;
  }

  /** Records the outcome under the claim's token; a claim taken over meanwhile changes nothing. */
  private async settle(row: ClaimedEvent, s: Settlement): Promise<string> {
    const outcome = await this.queue.settle(row, s);
    if (outcome === 'lost') {
      this.logger.warn({ eventId: row.id, provider: row.provider, attempt: row.attempts }, 'claim lost: another worker took the event over; outcome discarded');
    }
    return outcome;
  }

  /**
   * Cuts a handler off at its time limit: its outbound HTTP calls are aborted, and the event is failed only
   * once the handler has really stopped (or a grace period ran out), so a late write from the first run can
   * never land after the retry or after the next event of the partition.
   */
  private async withTimeout<T>(work: Promise<T>, ms: number, controller: AbortController, eventId: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), ms);
    });
    const settled = work.then(() => 'settled' as const, () => 'settled' as const);
    try {
      if ((await Promise.race([settled, expired])) === 'settled') return await work;
    } finally {
      clearTimeout(timer);
    }
    controller.abort(new HandlerTimeout(`handler exceeded ${ms} ms`));
    const grace = Math.min(ms, ABORT_GRACE_MS);
    let graceTimer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      settled,
      new Promise<'still running'>((resolve) => {
        graceTimer = setTimeout(() => resolve('still running'), grace);
      }),
    ]);
    clearTimeout(graceTimer);
    if (stopped === 'still running') {
      this.logger.error({ eventId }, `handler still running ${grace} ms after its timeout was signalled`);
    }
    throw new HandlerTimeout(`handler exceeded ${ms} ms`);
  }
}
