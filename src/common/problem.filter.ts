import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { describeError, isDatabaseUnavailable } from '../database/database-errors';
import { DomainError, FieldError, RateLimitedError } from './domain.error';

/** Seconds a client is asked to wait on any 503: the database cannot be reached, or the intake queue is full. */
const RETRY_AFTER_S = 5;

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity',
  429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export function problem(status: number, detail: string, code?: string, errors?: FieldError[]): Problem {
  const title = TITLES[status] ?? 'Error';
  return {
    type: `https://inventory-sync.dev/problems/${code ?? title.toLowerCase().replace(/\s+/g, '-')}`,
    title,
    status,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** Express/body-parser errors carry `type`/`status`; they are client faults, never 500s. */
interface HttpishError { status?: number; statusCode?: number; type?: string; expose?: boolean; message?: string }

/** The one place errors become application/problem+json; 5xx details never reach the client. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const unavailable = isDatabaseUnavailable(exception);
    const body = unavailable
      ? problem(503, 'the database is unavailable; nothing was stored, try again shortly', 'database-unavailable')
      : this.toProblem(exception, req);
    // A shed request (a full intake queue) is expected under load and already has its request-log line.
    const shed = exception instanceof DomainError && exception.code === 'overloaded';
    if (body.status >= 500 && !shed) {
      this.logger.error({ err: describeError(exception), path: req.path, reqId: (req as Request & { id?: string }).id }, unavailable ? 'request refused: database unavailable' : 'request failed');
    }
    if (res.headersSent) return;
    if (body.status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_S));
    if (exception instanceof RateLimitedError) res.setHeader('Retry-After', String(exception.retryAfterS));
    res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  }

  private toProblem(exception: unknown, req: Request): Problem {
    if (exception instanceof DomainError) return problem(exception.status, exception.message, exception.code, exception.errors);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse() as { message?: unknown; errors?: FieldError[] } | string;
      if (typeof response === 'object' && Array.isArray(response.errors)) {
        return problem(status, String(response.message ?? 'invalid request'), undefined, response.errors);
      }
      if (status === HttpStatus.NOT_FOUND && typeof response === 'object' && /^Cannot /.test(String(response.message))) {
        return problem(404, `no route for ${req.method} ${req.path}`);
      }
      const message = typeof response === 'string' ? response : Array.isArray(response.message) ? response.message.join('; ') : String(response.message ?? exception.message);
      return problem(status, status >= 500 ? 'internal error' : message);
    }
    const e = exception as HttpishError;
    const status = e?.status ?? e?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      if (e.type === 'entity.too.large') return problem(413, 'request body is larger than allowed', 'payload-too-large');
      if (e.type === 'entity.parse.failed') return problem(400, 'request body is not valid JSON', 'invalid-json');
      return problem(status, e.expose && e.message ? e.message : 'bad request');
    }
    return problem(500, 'internal error');
  }
}
