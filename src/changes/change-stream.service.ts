import { Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';
import type { Tenant } from '../auth/principal';
import { describeError } from '../database/database-errors';
import { encodeFeedCursor, FeedPosition } from './change-cursor';
import type { FeedEntry, FeedFilter } from './change-feed.repository';
import { ChangesService, parseFeedStart } from './changes.service';
import type { ChangeStreamQuery } from './dto/changes.dto';

/** A comment line this often keeps proxies and clients from closing an idle stream (contract: at least every 15 s). */
export const PING_MS = 10_000;
const BATCH = 500;

/**
 * GET /changes/stream: Server-Sent Events written by hand rather than through @Sse, which cannot send comment
 * lines and starts the stream before the first read could answer 400 / 410. Each event's id is the cursor after
 * its change, so an EventSource that reconnects resumes exactly there with Last-Event-ID.
 */
@Injectable()
export class ChangeStreamService {
  private readonly logger = new Logger('ChangeStream');

  constructor(private readonly changes: ChangesService) {}

  async serve(tenant: Tenant, q: ChangeStreamQuery, lastEventId: string | undefined, res: Response, gone: AbortSignal): Promise<void> {
    const start = lastEventId !== undefined && lastEventId !== ''
      ? parseFeedStart(lastEventId, 'Last-Event-ID')
      : parseFeedStart(q.cursor);
    const filter: FeedFilter = { types: q.types, locationId: q.locationId };
    // Errors of the first read (400, 410, database down) are answered as problem+json by the filter.
    let read = await this.changes.open(tenant, start, filter, BATCH);
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const stop = this.changes.untilClosedOr(gone);
    let lastWrite = Date.now();
    let position: FeedPosition = read.next;
    try {
      await write(res, `: inventory-sync change feed\nretry: 2000\n\n`);
      for (;;) {
        for (const entry of read.entries) await write(res, event(entry));
        if (read.entries.length > 0) lastWrite = Date.now();
        position = read.next;
        if (stop.signal.aborted) break;
        if (read.entries.length < BATCH) {
          await this.changes.waitForChange(stop.signal);
          if (stop.signal.aborted) break;
          if (Date.now() - lastWrite >= PING_MS) {
            await write(res, `: ping\n\n`);
            lastWrite = Date.now();
          }
        }
        read = await this.changes.read(tenant, position, filter, BATCH);
      }
    } catch (e) {
      // The client resumes with Last-Event-ID; a database outage or a closed socket ends the stream.
      if (!stop.signal.aborted) this.logger.warn({ err: describeError(e) }, 'change stream ended by an error');
    } finally {
      stop.dispose();
      res.end();
    }
  }
}

function event(entry: FeedEntry): string {
  return `id: ${encodeFeedCursor(entry.position)}\nevent: change\ndata: ${JSON.stringify(entry.item)}\n\n`;
}

/** Waits while the socket's buffer is full, so a slow client cannot make the process hold the whole feed. */
function write(res: Response, chunk: string): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.reject(new Error('client gone'));
  if (res.write(chunk)) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const drained = () => {
      res.off('close', closed);
      resolve();
    };
    const closed = () => {
      res.off('drain', drained);
      reject(new Error('client gone'));
    };
    res.once('drain', drained);
    res.once('close', closed);
  });
}
