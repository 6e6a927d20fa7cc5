import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { describeUrl } from '../common/http-client';
import { parseRetryAfter } from '../ingestion/retry.policy';
import { guardedLookup, parseTargetUrl, Resolver, systemResolver, TargetPolicy, TargetRefused } from './target-url.guard';

/** What one delivery attempt came to. `status` null: no HTTP answer (refused target, network, timeout). */
export interface SendResult {
  status: number | null;
  /** Null on a 2xx; else why the attempt failed, safe to store and show (no query string, no headers). */
  error: string | null;
  /** The receiver's Retry-After, in ms. */
  retryAfterMs?: number;
  /** Stopped by the caller (shutdown): not an attempt of the receiver's. */
  interrupted?: boolean;
}

export interface SendOptions {
  policy: TargetPolicy;
  timeoutMs: number;
  /** Aborts the attempt (process shutdown). */
  signal?: AbortSignal;
  resolve?: Resolver;
}

/** How much of an answer is read (and thrown away): receivers answer with a status, not a body. */
const MAX_ANSWER_BYTES = 64 * 1024;

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host lookup failed (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed while sending',
};

/**
 * POSTs one webhook: node:http(s) with the guarded lookup (the address connected to is the one checked),
 * a fresh connection each time (no keep-alive pool that would skip the lookup), no redirects followed (a 3xx
 * is a failed attempt), and one timer over the whole exchange up to the answer's status line and headers.
 * Never throws: every outcome is a SendResult.
 */
export function sendWebhook(rawUrl: string, body: string, headers: Record<string, string>, options: SendOptions): Promise<SendResult> {
  const where = `POST ${describeUrl(rawUrl)}`;
  let url: URL;
  try {
    url = parseTargetUrl(rawUrl, options.policy);
  } catch (e) {
    return Promise.resolve({ status: null, error: `refused: ${(e as Error).message}` });
  }
  if (options.signal?.aborted) return Promise.resolve({ status: null, error: `${where}: interrupted (shutting down)`, interrupted: true });
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    let req: ClientRequest;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    let stopped: 'timeout' | 'interrupted' | null = null;
    const timer = setTimeout(() => {
      stopped = 'timeout';
      req.destroy();
      finish({ status: null, error: `${where}: no answer within ${Math.round(options.timeoutMs / 1000)} s` });
    }, options.timeoutMs);
    const onAbort = () => {
      stopped = 'interrupted';
      req.destroy();
      finish({ status: null, error: `${where}: interrupted (shutting down)`, interrupted: true });
    };
    const make = url.protocol === 'https:' ? httpsRequest : httpRequest;
    req = make({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'inventory-sync-webhooks/1',
        ...headers,
      },
      agent: false,
      lookup: guardedLookup(options.policy, options.resolve ?? systemResolver) as never,
    });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      // The answer's body is read (up to a cap) and discarded, then the connection closes.
      let seen = 0;
      res.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > MAX_ANSWER_BYTES) res.destroy();
      });
      res.on('error', () => undefined);
      // A receiver that keeps its answer's body open does not hold the connection for long.
      const drain = setTimeout(() => res.destroy(), 5000);
      drain.unref();
      res.on('close', () => clearTimeout(drain));
      if (status >= 200 && status < 300) return finish({ status, error: null });
      const retryAfterMs = parseRetryAfter(res.headers['retry-after'] as string | undefined);
      const error = status >= 300 && status < 400
        ? `${where}: answered ${status}; redirects are not followed`
        : `${where}: answered ${status}`;
      finish({ status, error, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (stopped) return;
      if (e instanceof TargetRefused || e.code === 'ETARGETREFUSED') return finish({ status: null, error: `refused: ${e.message}` });
      const reason = (e.code && NETWORK_REASONS[e.code]) ?? (e.code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO/.test(e.code) ? `TLS error (${e.code})` : `network error${e.code ? ` (${e.code})` : ''}`);
      finish({ status: null, error: `${where}: ${reason}` });
    });
    req.end(body);
  });
}
