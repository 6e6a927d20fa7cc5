import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one huge answer did: bytes handed to the socket, and whether it ended before its last byte. */
export interface HugeAnswerStats {
  /** Bytes the answer was meant to have (its Content-Length when declared). */
  readonly total: number;
  sent: number;
  /** The connection closed before the whole answer was written (the client stopped reading). */
  cutOff: boolean;
  /** Resolves once the response is closed, either way. */
  closed: Promise<void>;
}

/** A JSON document `head` + `count` elements joined by commas + `tail`; every element has the same length. */
export interface HugeDocument {
  head: string;
  element(i: number): string;
  tail: string;
}

const PAD = 'x'.repeat(400);
/** A JSON array of rooms (a Syncaroo resource answer gone wrong). */
export const roomArray: HugeDocument = {
  head: '[',
  element: (i) => `{"id":"huge-${String(i).padStart(10, '0')}","name":"Room ${String(i).padStart(10, '0')}","type":"meeting-room","description":"${PAD}"}`,
  tail: ']',
};

/**
 * A valid Stratech LOS dataset (CONTRACT.md section 7) of many products, each with 14 cells and a long
 * description (an unknown member, skipped by the reader).
 */
export function losDataset(refs: { key: string; organizationReference: string; resortReference: string; channelReference: string }): HugeDocument {
  const cells: string[] = [];
  for (const day of ['2027-01-11', '2027-01-12']) {
    for (let los = 1; los <= 7; los++) cells.push(`{"arrivalDate":"${day}T00:00:00+01:00","lengthOfStay":${los},"unitsAvailable":3,"price":${100 + los}}`);
  }
  const list = cells.join(',');
  const description = 'd'.repeat(16 * 1024);
  return {
    head: `{"key":${JSON.stringify(refs.key)},"organizationReference":${JSON.stringify(refs.organizationReference)},"resortReference":${JSON.stringify(refs.resortReference)},"channelReference":${JSON.stringify(refs.channelReference)},"currency":"EUR","products":[`,
    element: (i) => `{"productId":"p-${String(i).padStart(10, '0')}","name":"Cottage ${String(i).padStart(10, '0')}","description":"${description}","losPriceAvailability":[${list}]}`,
    tail: ']}',
  };
}

/**
 * A handler answering `doc` at about `approxBytes` bytes, generated chunk by chunk as the client reads it
 * (backpressure respected; only the ~64 KiB chunk being written is held). `declare` sends its exact
 * Content-Length; otherwise it is chunked. Each answer's stats are pushed to `seen`.
 */
export function hugeJsonAnswer(doc: HugeDocument, approxBytes: number, declare: boolean, seen: HugeAnswerStats[]) {
  const elementBytes = Buffer.byteLength(doc.element(0));
  const fixed = Buffer.byteLength(doc.head) + Buffer.byteLength(doc.tail);
  const count = Math.max(1, Math.floor((approxBytes - fixed + 1) / (elementBytes + 1)));
  const total = fixed + count * elementBytes + (count - 1);
  const perChunk = Math.max(1, Math.floor((64 * 1024) / (elementBytes + 1)));
  return (_req: IncomingMessage, res: ServerResponse): void => {
    const stats: HugeAnswerStats = { total, sent: 0, cutOff: false, closed: Promise.resolve() };
    seen.push(stats);
    stats.closed = new Promise((resolve) => res.once('close', () => {
      stats.cutOff = !res.writableFinished;
      resolve();
    }));
    res.writeHead(200, { 'content-type': 'application/json', ...(declare ? { 'content-length': String(total) } : {}) });
    let next = 0;
    const write = (s: string): boolean => {
      const chunk = Buffer.from(s, 'utf8');
      stats.sent += chunk.length;
      return res.write(chunk);
    };
    write(doc.head);
    const pump = (): void => {
      while (next < count && !res.destroyed) {
        const end = Math.min(count, next + perChunk);
        const parts: string[] = [];
        for (let i = next; i < end; i++) parts.push(doc.element(i));
        const chunk = (next > 0 ? ',' : '') + parts.join(',');
        next = end;
        if (!write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) {
        const tail = Buffer.from(doc.tail, 'utf8');
        stats.sent += tail.length;
        res.end(tail);
      }
    };
    pump();
  };
}

/**
 * An API on 127.0.0.1 whose GETs of a path are answered by the handler `answer()` gave it (404 otherwise), only
 * with a Bearer token (which it does not check further): stands for Stratech's API with a huge dataset.
 */
export class HugeAnswerServer {
  /** GETs received, by path. */
  readonly gets: string[] = [];
  private readonly answers = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();

  private constructor(private readonly server: Server, readonly baseUrl: string) {}

  static async start(): Promise<HugeAnswerServer> {
    let self!: HugeAnswerServer;
    const server = createServer((req, res) => self.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new HugeAnswerServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  answer(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void {
    this.answers.set(path, handler);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    const answer = this.answers.get(path);
    if (req.method === 'GET') this.gets.push(path);
    if (!/^Bearer \S+$/.test(req.headers.authorization ?? '')) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
    } else if (req.method !== 'GET' || !answer) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    } else answer(req, res);
  }
}
