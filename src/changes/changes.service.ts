import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import type { Tenant } from '../auth/principal';
import { decodeFeedCursor, encodeFeedCursor, FeedPosition } from './change-cursor';
import { ChangeFeedRepository, FeedFilter, FeedRead } from './change-feed.repository';
import { ChangeNotifier } from './change-notifier.service';
import type { ChangePage, ChangesQuery } from './dto/changes.dto';

export const DEFAULT_LIMIT = 100;

/** Where a read starts: a cursor this API issued, `latest` (the head), or nothing (the oldest retained). */
export type FeedStart = { kind: 'oldest' } | { kind: 'latest' } | { kind: 'after'; position: FeedPosition };

export function parseFeedStart(cursor: string | undefined, field = 'cursor'): FeedStart {
  if (cursor === undefined || cursor === '') return { kind: 'oldest' };
  if (cursor === 'latest') return { kind: 'latest' };
  return { kind: 'after', position: decodeFeedCursor(cursor, field) };
}

@Injectable()
export class ChangesService implements BeforeApplicationShutdown {
  /**
   * Aborted before the HTTP server closes (it waits for open connections): long-polls answer, streams end and
   * clients resume with Last-Event-ID.
   */
  private readonly closing = new AbortController();

  constructor(private readonly feed: ChangeFeedRepository, private readonly notifier: ChangeNotifier) {}

  beforeApplicationShutdown(): void {
    this.closing.abort();
  }

  async list(tenant: Tenant, q: ChangesQuery, signal: AbortSignal): Promise<ChangePage> {
    const start = parseFeedStart(q.cursor);
    const filter: FeedFilter = { types: q.types, locationId: q.locationId };
    const limit = q.limit ?? DEFAULT_LIMIT;
    const waitMs = (q.wait ?? 0) * 1000;
    let read: FeedRead;
    if (start.kind === 'latest') {
      const head = await this.feed.head();
      if (waitMs === 0) return { items: [], nextCursor: encodeFeedCursor(head) };
      read = { entries: [], next: head };
    } else {
      read = await this.feed.read(tenant, start.kind === 'after' ? start.position : null, filter, limit);
    }
    const deadline = Date.now() + waitMs;
    const stop = this.untilClosedOr(signal);
    try {
      while (read.entries.length === 0 && Date.now() < deadline && !stop.signal.aborted) {
        await this.notifier.next(stop.signal);
        if (stop.signal.aborted) break;
        read = await this.feed.read(tenant, read.next, filter, limit);
      }
    } finally {
      stop.dispose();
    }
    return { items: read.entries.map((e) => e.item), nextCursor: encodeFeedCursor(read.next) };
  }

  /**
   * A signal that aborts with `signal` or at shutdown. Linked by hand: AbortSignal.any stops firing after a
   * garbage collection on Node 20 (issue 10).
   */
  untilClosedOr(signal: AbortSignal): { signal: AbortSignal; dispose(): void } {
    const c = new AbortController();
    const abort = () => c.abort();
    if (signal.aborted || this.closing.signal.aborted) c.abort();
    signal.addEventListener('abort', abort, { once: true });
    this.closing.signal.addEventListener('abort', abort, { once: true });
    return {
      signal: c.signal,
      dispose: () => {
        signal.removeEventListener('abort', abort);
        this.closing.signal.removeEventListener('abort', abort);
      },
    };
  }

  /** The first read of a stream (so a bad or expired cursor is answered as an error before the stream starts). */
  async open(tenant: Tenant, start: FeedStart, filter: FeedFilter, limit: number): Promise<FeedRead> {
    if (start.kind === 'latest') return { entries: [], next: await this.feed.head() };
    return this.feed.read(tenant, start.kind === 'after' ? start.position : null, filter, limit);
  }

  read(tenant: Tenant, after: FeedPosition, filter: FeedFilter, limit: number): Promise<FeedRead> {
    return this.feed.read(tenant, after, filter, limit);
  }

  waitForChange(signal: AbortSignal): Promise<void> {
    return this.notifier.next(signal);
  }
}
