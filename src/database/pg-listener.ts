import { Logger } from '@nestjs/common';
import { Client, type Pool } from 'pg';

const RECONNECT_MS = 2000;

/** Notification channels: the queue's (isq_after_insert, isq_refresh). */
export type PgChannel = 'inbound_events';

/**
 * LISTEN on one channel, so an idle loop (the worker, a feed waiter, subscription delivery) wakes when any
 * process commits work for it instead of polling several times a second. One dedicated connection;
 * reconnects after a failure (until then the caller falls back to polling).
 */
export class PgListener {
  private readonly logger = new Logger('PgListener');
  private client: Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(private readonly pool: Pool, private readonly channel: PgChannel, private readonly onWake: () => void) {}

  get listening(): boolean {
    return this.client !== null;
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    const client = new Client((this.pool as unknown as { options: Record<string, unknown> }).options);
    client.on('notification', () => this.onWake());
    client.on('error', (e: Error) => this.lost(client, e));
    client.on('end', () => this.lost(client, null));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      this.client = client;
      // Anything stored while not listening: look once.
      this.onWake();
    } catch (e) {
      this.lost(client, e as Error);
    }
  }

  private lost(client: Client, e: Error | null): void {
    if (this.client === client) this.client = null;
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    if (this.stopped || this.retry) return;
    if (e) this.logger.warn({ err: e.message, channel: this.channel }, 'notifications lost; polling until reconnected');
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.start();
    }, RECONNECT_MS);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners('end');
      await c.end().catch(() => undefined);
    }
  }
}
