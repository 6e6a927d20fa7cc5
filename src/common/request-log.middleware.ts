import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Histogram } from 'prom-client';
import { requestContext } from './request-context';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;
const QUIET = new Set(['/metrics', '/health', '/health/live', '/health/ready']);

/**
 * Request id (a well-formed `x-request-id` is kept, anything else replaced), the HTTP duration histogram
 * and one JSON line per request. Written by hand instead of pino-http: that builds a child logger per
 * request whether or not the line is written, which cost ~17 % of webhook intake throughput (measured
 * with scripts/bench.mjs at LOG_LEVEL=warn).
 */
export function requestLogMiddleware(logger: Logger, httpDuration: Histogram<'method' | 'route' | 'status'>) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', id);
    (req as Request & { id: string }).id = id;
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const route = (req.route as { path?: string } | undefined)?.path;
      const status = res.statusCode;
      httpDuration.observe({ method: req.method, route: route ? `${req.baseUrl ?? ''}${route}` : 'unmatched', status: String(status) }, ms / 1000);
      if (QUIET.has(req.path)) return;
      const level = status >= 500 ? 'error' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      logger[level]({ reqId: id, req: { method: req.method, url: req.originalUrl }, res: { statusCode: status }, responseTime: Math.round(ms * 10) / 10 }, 'request completed');
    });
    requestContext.run({ requestId: id }, next);
  };
}
