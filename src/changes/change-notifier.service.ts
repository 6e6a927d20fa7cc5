import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** How often each process looks whether a change was written (one read of a sequence, only while someone waits). */
export const TICK_MS = 50;
/** The longest a waiter sleeps without a hint: a change released by another transaction ending moves no sequence. */
export const POLL_MS = 250;

/**
 * Wakes feed readers (long-poll, SSE, subscription delivery) when any process writes a change. Not LISTEN/NOTIFY:
 * a NOTIFY in the change triggers made every writing transaction take PostgreSQL's global notify lock at commit
 * and signal every listening backend — measured, 8 writers upserting resources went from 3,030 to 920 a second.
 * Instead one process-wide timer reads the changes' sequence (`changes_seq_seq`, no table access) every TICK_MS
 * while anyone waits, and fires when it moved, and once more on the tick after (the change it numbered may not
 * have been committed when the sequence moved). Waiters also look again every POLL_MS by themselves.
 */
@Injectable()
export class ChangeNotifier implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  private last: string | null = null;
  private echo = false;
  private ticking = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  beforeApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.fire();
  }

  /** Calls `fn` whenever a change may have been committed; returns the unsubscribe. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolves at the next hint, after POLL_MS at most, or when `signal` aborts. */
  next(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, POLL_MS);
      const unsubscribe = this.subscribe(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.listeners.size === 0) return;
    this.ticking = true;
    try {
      const [row] = await this.dataSource.query(`SELECT last_value::text AS v FROM changes_seq_seq`);
      if (row.v !== this.last) {
        this.last = row.v;
        this.echo = true;
        this.fire();
      } else if (this.echo) {
        this.echo = false;
        this.fire();
      }
    } catch {
      // The database is away: waiters fall back to POLL_MS, and their own reads report the outage.
    } finally {
      this.ticking = false;
    }
  }

  private fire(): void {
    for (const fn of [...this.listeners]) fn();
  }
}
