import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One programmed answer: a status, optionally after a delay, optionally with Retry-After. */
export interface ReceiverAnswer {
  status: number;
  delayMs?: number;
  retryAfter?: string;
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  /** The body exactly as received. */
  raw: string;
  json: any;
  /** The status this receiver answered. */
  answered: number;
  /** Which of the receiver's secrets (by index into `secrets`) verified this request's signature. */
  verifiedBy: number[];
}

/**
 * Standard Webhooks verification, written from the spec independently of src/subscriptions: the header holds
 * space-separated `v1,<base64>` entries; one of them must equal base64(HMAC-SHA256(base64-decoded secret after
 * `whsec_`, "{id}.{timestamp}.{body}")), compared in constant time.
 */
export function verifyStandardWebhook(secret: string, headers: IncomingHttpHeaders, raw: string): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  if (!/^\d+$/.test(timestamp)) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${raw}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/**
 * A subscriber on 127.0.0.1: records every request (headers, raw body, parsed JSON), checks its signature
 * against each secret it was given, and answers from a programmed sequence of answers (then `fallback`, 200
 * by default).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  secrets: string[] = [];
  fallback: ReceiverAnswer = { status: 200 };
  private readonly script: ReceiverAnswer[] = [];
  private server!: Server;
  url = '';

  static async start(path = '/hooks/inventory'): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    receiver.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const answer = receiver.script.shift() ?? receiver.fallback;
        let json: unknown = null;
        try {
          json = JSON.parse(raw);
        } catch {
          json = null;
        }
        receiver.received.push({
          headers: req.headers, raw, json, answered: answer.status,
          verifiedBy: receiver.secrets.flatMap((s, i) => (verifyStandardWebhook(s, req.headers, raw) ? [i] : [])),
        });
        const reply = () => {
          if (res.destroyed) return;
          res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.retryAfter ? { 'retry-after': answer.retryAfter } : {}) });
          res.end(JSON.stringify({ ok: answer.status < 300 }));
        };
        if (answer.delayMs) setTimeout(reply, answer.delayMs);
        else reply();
      });
    });
    await new Promise<void>((ok) => receiver.server.listen(0, '127.0.0.1', ok));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}${path}`;
    return receiver;
  }

  /** The next answers, in order (e.g. 500, 500, 200). */
  answer(...answers: Array<number | ReceiverAnswer>): this {
    this.script.push(...answers.map((a) => (typeof a === 'number' ? { status: a } : a)));
    return this;
  }

  /** Every change received, in arrival order, from requests answered 2xx. */
  get deliveredChanges(): any[] {
    return this.received.filter((r) => r.answered < 300).flatMap((r) => r.json?.changes ?? []);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((ok) => this.server.close(() => ok()));
  }
}
