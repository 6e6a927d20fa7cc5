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

/** The call's own timeout, and the worker's abort when the handler making the call runs out of time. */
function requestSignal(timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  const handler = handlerContext.getStore()?.signal;
  return handler ? AbortSignal.any([timeout, handler]) : timeout;
}

/**
 * One outbound HTTP call with a hard timeout. Network failures and timeouts become RetryableError;
 * the caller decides what each status means (see `raiseForStatus`). Never puts headers or tokens in errors.
 */
export async function httpRequest<T = unknown>(url: string, req: HttpRequest = {}): Promise<HttpResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...(req.headers ?? {}) };
  let body: string | URLSearchParams | undefined;
  if (req.body instanceof URLSearchParams || typeof req.body === 'string') body = req.body;
  else if (req.body !== undefined) {
    body = JSON.stringify(req.body);
    headers['content-type'] ??= 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(url, { method: req.method ?? 'GET', headers, body, signal: requestSignal(req.timeoutMs ?? 15_000), redirect: 'error' });
  } catch (e) {
    const name = (e as Error).name;
    const why = name === 'TimeoutError' ? 'timed out' : name === 'AbortError' ? 'aborted (handler timeout)' : 'network error';
    throw new RetryableError(`${req.method ?? 'GET'} ${describeUrl(url)} failed: ${why}`);
  }
  const text = await res.text();
  let parsed: unknown = text;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  } else parsed = null;
  return { status: res.status, headers: res.headers, body: parsed as T };
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
