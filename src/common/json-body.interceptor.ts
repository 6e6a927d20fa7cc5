import { BadRequestException, CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
// The JSON parser NestExpressAdapter.useBodyParser would install (express.json, i.e. body-parser).
import { json, urlencoded } from 'express';
import { from, Observable, switchMap } from 'rxjs';

/**
 * Reads and parses the request body only once the route's guards have passed: the Bearer token of the
 * admin and read API, a Stratech webhook's path secret, a Lockme webhook's key. Guards run before
 * interceptors, and parameters (`@Body()`, `@Req()`) are resolved after them, so an unauthenticated request
 * is answered without its body ever being read or parsed; requests to no route never reach here at all.
 * Routes without a guard (the Syncaroo webhook, signed over its body) read it first, as before.
 *
 * Same parser and answers as the global parser this replaces: every body is read as JSON (any content
 * type) up to WEBHOOK_MAX_BYTES (413 above), its bytes kept as `req.rawBody` for signatures and dedup.
 */
@Injectable()
export class JsonBodyInterceptor implements NestInterceptor {
  private readonly parse: RequestHandler;
  private readonly parseForm: RequestHandler;

  constructor(limit: number, private readonly reflector?: Reflector) {
    // HTML forms and OAuth token requests (routes marked @AcceptsForm) send application/x-www-form-urlencoded.
    this.parseForm = urlencoded({ limit, extended: false, parameterLimit: 100 });
    this.parse = json({
      limit,
      type: () => true,
      verify: (req, _res, buffer) => {
        if (Buffer.isBuffer(buffer)) (req as Request & { rawBody?: Buffer }).rawBody = buffer;
      },
    });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    // No body (most GETs): what body-parser would do, without a promise and an rxjs hop per request.
    if (!hasBody(req)) {
      if (!('body' in req)) (req as { body?: unknown }).body = undefined;
      return next.handle();
    }
    const res = http.getResponse<Response>();
    const form = !!this.reflector?.get<boolean>(ACCEPTS_FORM, context.getHandler()) && !!req.is('application/x-www-form-urlencoded');
    return from(this.read(req, res, form)).pipe(switchMap(() => next.handle()));
  }

  private read(req: Request, res: Response, form: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done: NextFunction = (err?: unknown) => (err === undefined || err === null ? resolve() : reject(mapParserError(err)));
      (form ? this.parseForm : this.parse)(req, res, done);
    });
  }
}

/** type-is's `hasBody`, which body-parser asks first: a Transfer-Encoding, or a Content-Length that is a number. */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(req.headers['content-length']));
}

const ACCEPTS_FORM = 'inventory-sync:accepts-form';
/** The route reads application/x-www-form-urlencoded bodies too (JSON otherwise). */
export const AcceptsForm = () => SetMetadata(ACCEPTS_FORM, true);

/**
 * As Nest's express-level error handler mapped the global parser's errors (RoutesResolver.mapExternalException),
 * so answers stay what they were: a JSON syntax error is a 400 naming it; size (413), charset and encoding
 * (415) errors pass through to ProblemFilter as they are.
 */
function mapParserError(err: unknown): unknown {
  return err instanceof SyntaxError ? new BadRequestException(err.message) : err;
}
