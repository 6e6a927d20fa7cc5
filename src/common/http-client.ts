import http from 'node:http';
import https from 'node:https';
import type { Provider } from '../connections/entities/connection.entity';
import { handlerContext } from '../ingestion/handler-context';
import { PermanentError, RetryableError } from '../ingestion/provider-handler';
import { parseRetryAfter } from '../ingestion/retry.policy';

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  headers?: Record<string, string>;
  /** JSON-encoded unless it is already a string / URLSearchParams. */
  body?: unknown;
  timeoutMs?: number;
  /** This call's answer size cap instead of PROVIDER_MAX_BYTES (see `setProviderMaxBytes`). */
  maxBytes?: number;
  /** The setting the "answer larger than" error names; default PROVIDER_MAX_BYTES, or `maxBytes` for an override. */
  maxBytesName?: string;
  /** Who is called: the `provider` label of inventory_outbound_requests_total (`unknown` without it). */
  provider?: Provider;
}

/** How one outbound call ended: the answer's status, or why there was none to use. */
export type OutboundStatus = number | 'timeout' | 'network' | 'aborted' | 'too-large' | 'redirect';
export type OutboundHook = (provider: Provider | 'unknown', status: OutboundStatus) => void;
let outboundHook: OutboundHook | null = null;

/**
 * Told once of every outbound call's end (inventory_outbound_requests_total). Set once at start (`createApp`)
 * like the size cap, since this module is no Nest provider; with several apps in one process (tests) the last
 * one set is told.
 */
export function setOutboundRequestHook(hook: OutboundHook | null): void {
  outboundHook = hook;
}

/** PROVIDER_MAX_BYTES's default (CONTRACT.md section 12). */
export const DEFAULT_PROVIDER_MAX_BYTES = 8 * 1024 * 1024;
let providerCap = DEFAULT_PROVIDER_MAX_BYTES;

/**
 * The size cap of every provider answer (PROVIDER_MAX_BYTES). Set once at start from the configuration
 * (`createApp`), so no provider client threads it through; a call may still pass its own `maxBytes`.
 */
export function setProviderMaxBytes(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new RangeError(`provider answer cap must be a positive integer, got ${bytes}`);
  providerCap = bytes;
}

export function providerMaxBytes(): number {
  return providerCap;
}

/** Where an upstream call went wrong, without query strings (they may carry tokens). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '[invalid url]';
  }
}

/** `refused`: the caller stopped reading (an answer over the cap, a redirect). */
type AbortCause = 'timeout' | 'handler' | 'refused';

/** The abort of one outbound call; `close()` it in `finally`. */
export interface CallSignal {
  signal: AbortSignal;
  /** Why the call was aborted, null while it was not. */
  readonly cause: AbortCause | null;
  /** Stops the call for a reason of the caller's (e.g. its answer is too large): the connection is closed. */
  abort(cause: AbortCause): void;
  /**
   * Records how the call ended (inventory_outbound_requests_total), once: later calls are ignored. `close()`
   * records the abort cause (timeout / aborted / network) if nothing was recorded before.
   */
  settle(status: OutboundStatus): void;
  /** Clears the timer and the listener on the handler's signal. */
  close(): void;
}

/** The status of a call that got no usable answer: its abort cause, else a network failure. */
export function transportStatus(call: CallSignal): OutboundStatus {
  return statusOfCause(call.cause);
}

function statusOfCause(cause: AbortCause | null): OutboundStatus {
  return cause === 'timeout' ? 'timeout' : cause === 'handler' ? 'aborted' : 'network';
}

/**
 * The call's own timeout, and the worker's abort when the handler making the call runs out of time.
 * An own timer and controller rather than `AbortSignal.any([AbortSignal.timeout(ms), handler])`: on Node 20
 * the timeout signal inside such a composite is only weakly held, so after a garbage collection it never
 * fires and a silent upstream holds the call forever (see src/common/http-client.spec.ts).
 */
export function openCallSignal(timeoutMs: number, provider?: Provider): CallSignal {
  const controller = new AbortController();
  let cause: AbortCause | null = null;
  let settled = false;
  const abort = (why: AbortCause) => {
    if (controller.signal.aborted) return;
    cause = why;
    controller.abort(new DOMException(why === 'timeout' ? 'timed out' : 'aborted', why === 'timeout' ? 'TimeoutError' : 'AbortError'));
  };
  const timer = setTimeout(() => abort('timeout'), timeoutMs);
  const handler = handlerContext.getStore()?.signal;
  const onHandlerAbort = () => abort('handler');
  const settle = (status: OutboundStatus) => {
    if (settled) return;
    settled = true;
    outboundHook?.(provider ?? 'unknown', status);
  };
  if (handler?.aborted) onHandlerAbort();
  else handler?.addEventListener('abort', onHandlerAbort, { once: true });
  return {
    signal: controller.signal,
    get cause() {
      return cause;
    },
    abort,
    settle,
    close() {
      clearTimeout(timer);
      handler?.removeEventListener('abort', onHandlerAbort);
      settle(statusOfCause(cause));
    },
  };
}

function transportError(where: string, call: CallSignal): RetryableError {
  const why = call.cause === 'timeout' ? 'timed out' : call.cause === 'handler' ? 'aborted (handler timeout)' : 'network error';
  return new RetryableError(`${where} failed: ${why}`);
}

/**
 * The answer's bytes, at most `cap` of them: a Content-Length over it is refused before reading, and a body
 * that grows past it is cut off there (the connection is closed, not drained). Over → PermanentError, since
 * asking again gets the same answer.
 */
async function readCapped(res: http.IncomingMessage, where: string, cap: number, capName: string, call: CallSignal): Promise<Buffer> {
  const tooLarge = () => new PermanentError(`${where}: answer larger than ${cap} bytes (${capName})`);
  const declared = res.headers['content-length'];
  if (declared !== undefined && /^\s*\d+\s*$/.test(declared) && Number(declared) > cap) {
    call.abort('refused');
    res.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  let over = false;
  // Events rather than `for await`: the async iterator costs a promise per chunk.
  const ended = await new Promise<boolean>((resolve) => {
    res.on('data', (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > cap) {
        over = true;
        call.abort('refused');
        res.destroy();
        resolve(false);
        return;
      }
      chunks.push(chunk);
    });
    res.once('end', () => resolve(true));
    res.once('error', () => resolve(false));
    res.once('close', () => resolve(false));
  });
  if (over) throw tooLarge();
  if (!ended) throw transportError(where, call);
  // A body shorter than its Content-Length is a broken connection, not the whole answer.
  if (!res.complete) throw transportError(where, call);
  return Buffer.concat(chunks, total);
}

/**
 * Keep-alive agents of their own (not the global fetch): node:http costs about a third of fetch's CPU per
 * call (measured: ~70 vs ~200–270 µs per small JSON GET on loopback), and a worker makes one or more per event.
 */
// `timeout`: an idle pooled socket is closed after 4 s, before a server's usual 5 s keep-alive ends it under a
// request just sent on it.
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 }),
};

function send(url: URL, method: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      reject(new Error('unsupported protocol'));
      return;
    }
    const agent = agents[url.protocol];
    const req = (url.protocol === 'https:' ? https : http).request(url, { method, headers, agent, signal }, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

function toHeaders(raw: string[]): Headers {
  const h = new Headers();
  for (let k = 0; k + 1 < raw.length; k += 2) {
    try {
      h.append(raw[k], raw[k + 1]);
    } catch {
      // A header value fetch would refuse (control characters): not one this client reads.
    }
  }
  return h;
}

/**
 * One outbound HTTP call with a hard timeout (headers and body) and a size cap on the answer. Network
 * failures and timeouts become RetryableError; an answer over the cap and any redirect (3xx, never followed:
 * it would leave the URL the caller checked) become PermanentError; the caller decides what each other status
 * means (see `raiseForStatus`). Never puts headers, tokens, query strings or a Location in errors.
 */
export async function httpRequest<T = unknown>(url: string, req: HttpRequest = {}): Promise<HttpResponse<T>> {
  const method = req.method ?? 'GET';
  const where = `${method} ${describeUrl(url)}`;
  const headers: Record<string, string> = { accept: 'application/json', ...(req.headers ?? {}) };
  let body: string | undefined;
  if (req.body instanceof URLSearchParams) {
    body = req.body.toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
  } else if (typeof req.body === 'string') {
    body = req.body;
    headers['content-type'] ??= 'text/plain;charset=UTF-8';
  } else if (req.body !== undefined) {
    body = JSON.stringify(req.body);
    headers['content-type'] ??= 'application/json';
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const cap = req.maxBytes ?? providerCap;
  const capName = req.maxBytesName ?? (req.maxBytes === undefined ? 'PROVIDER_MAX_BYTES' : 'maxBytes');
  const call = openCallSignal(req.timeoutMs ?? 15_000, req.provider);
  try {
    if (call.signal.aborted) throw transportError(where, call);
    let res: http.IncomingMessage;
    try {
      res = await send(new URL(url), method, headers, body, call.signal);
    } catch {
      throw transportError(where, call);
    }
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400) {
      call.settle('redirect');
      call.abort('refused');
      res.destroy();
      throw new PermanentError(`${where}: upstream redirected (${status}) to another location; redirects are not followed`);
    }
    let bytes: Buffer;
    try {
      bytes = await readCapped(res, where, cap, capName, call);
    } catch (e) {
      // A broken read is recorded by close() from its abort cause.
      if (e instanceof PermanentError) call.settle('too-large');
      throw e;
    }
    call.settle(status);
    let parsed: unknown = null;
    if (bytes.length > 0) {
      const text = new TextDecoder().decode(bytes);
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const raw = res.rawHeaders;
    let answerHeaders: Headers | null = null;
    // Built when read (most callers only look at the status and body).
    return { status, get headers() { return (answerHeaders ??= toHeaders(raw)); }, body: parsed as T };
  } finally {
    call.close();
  }
}

/**
 * 2xx passes. 408/425/429/5xx are transient (Retry-After honoured by the retry policy); any other
 * status is permanent for this request, so retrying would only repeat it.
 */
export function raiseForStatus(res: HttpResponse, what: string): void {
  if (res.status >= 200 && res.status < 300) return;
  const message = `${what}: upstream answered ${res.status}`;
  if (res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500) {
    throw new RetryableError(message, parseRetryAfter(res.headers.get('retry-after')));
  }
  throw new PermanentError(message);
}
