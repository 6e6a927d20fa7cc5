import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { PgListener } from '../database/pg-listener';

/**
 * Wakes feed readers (long-poll, SSE, subscription delivery) when any process commits a change: the change
 * triggers NOTIFY inventory_changes. A notification is only a hint: a change committed by a transaction with
 * a younger id is handed out once the older ones end, which may notify nothing, so waiters also look again
 * every POLL_MS.
 */
export const POLL_MS = 250;

@Injectable()
export class ChangeNotifier implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly listener: PgListener;
  private readonly listeners = new Set<() => void>();

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.listener = new PgListener((dataSource.driver as PostgresDriver).master as Pool, 'inventory_changes', () => this.fire());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listener.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.listener.stop();
    this.fire();
  }

  /** Calls `fn` on every notification; returns the unsubscribe. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolves at the next notification, after POLL_MS at most, or when `signal` aborts. */
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

  private fire(): void {
    for (const fn of [...this.listeners]) fn();
  }
}
