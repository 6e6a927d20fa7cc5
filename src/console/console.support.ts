import { ArgumentsHost, BadRequestException, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, ValidationError } from 'class-validator';
import type { Request, Response } from 'express';
import { allows, Principal } from '../auth/principal';
import type { Scope } from '../auth/scopes';
import { badRequest, DomainError, FieldError, forbidden } from '../common/domain.error';
import { redactText } from '../common/redact';
import { describeError, isDatabaseUnavailable } from '../database/database-errors';
import { ConsoleUser, consoleViews } from './console.views';

export const LOGIN_PATH = '/console/login';

/** The signed-in user of a console request (AuthGuard has loaded the session). */
export function consoleUser(req: Request): ConsoleUser | null {
  const auth = req.session?.auth;
  if (!auth || !req.session.csrfToken) return null;
  return auth.kind === 'admin'
    ? { admin: true, email: null, accountId: null, csrfToken: req.session.csrfToken }
    : { admin: false, email: auth.email, accountId: auth.accountId, csrfToken: req.session.csrfToken };
}

export const isHtmx = (req: Request) => req.headers['hx-request'] === 'true';

/** The scope a console action needs (403 otherwise; an account user holds every scope but admin). */
export function requireScope(principal: Principal, scope: Scope): void {
  if (!allows(principal, scope)) throw forbidden(`this session lacks the ${scope} scope`);
}

/** A form field: trimmed text, or undefined when empty or absent. */
export function field(body: Record<string, unknown> | undefined, name: string): string | undefined {
  const v = body?.[name];
  const s = Array.isArray(v) ? v[0] : v;
  if (typeof s !== 'string') return undefined;
  const t = s.trim();
  return t === '' ? undefined : t;
}

/** Every value of a repeated form field (checkboxes). */
export function fields(body: Record<string, unknown> | undefined, name: string): string[] {
  const v = body?.[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string' && x !== '');
}

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const name = prefix ? `${prefix}.${e.property}` : e.property;
    return [...Object.values(e.constraints ?? {}).map((message) => ({ field: name, message })), ...flatten(e.children ?? [], name)];
  });
}

/** Form input through the API's own DTO rules (the same class-validator decorators); 400 with field errors otherwise. */
export async function validated<T extends object>(cls: new () => T, plain: Record<string, unknown>): Promise<T> {
  for (const [k, v] of Object.entries(plain)) {
    if (typeof v === 'string' && v.includes('\u0000')) throw badRequest(`${k}: must not contain NUL characters`, [{ field: k, message: 'must not contain NUL characters' }]);
  }
  const defined = Object.fromEntries(Object.entries(plain).filter(([, v]) => v !== undefined));
  const dto = plainToInstance(cls, defined, { enableImplicitConversion: false });
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    const list = flatten(errors);
    throw badRequest(list.map((e) => `${e.field}: ${e.message}`).join('; '), list);
  }
  return dto;
}

/**
 * Errors of console routes as HTML: no session → a redirect to the sign-in page (HX-Redirect for htmx requests);
 * otherwise the error page, or for htmx a fragment swapped where the action's result goes. 5xx details stay in
 * the log, as with ProblemFilter.
 */
@Catch()
export class ConsoleErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Console');

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    const { status, message, errors } = describe(exception);
    if (status >= 500) this.logger.error({ err: describeError(exception), path: req.path }, 'console request failed');
    if (status === 401) {
      if (isHtmx(req)) {
        res.status(401).setHeader('HX-Redirect', LOGIN_PATH);
        res.type('html').send('');
      } else {
        res.redirect(303, LOGIN_PATH);
      }
      return;
    }
    if (status === 503) res.setHeader('Retry-After', '5');
    res.status(status).type('html');
    if (isHtmx(req)) {
      res.send(consoleViews.fragment('flash', { kind: 'error', message, errors }));
    } else {
      res.send(consoleViews.page('error', status === 404 ? 'Not found' : 'Error', consoleUser(req), { status, message }));
    }
  }
}

function describe(exception: unknown): { status: number; message: string; errors?: FieldError[] } {
  if (isDatabaseUnavailable(exception)) return { status: 503, message: 'The database is unavailable; nothing was changed. Try again shortly.' };
  if (exception instanceof DomainError) return { status: exception.status, message: redactText(exception.message), errors: exception.errors };
  if (exception instanceof BadRequestException) {
    const r = exception.getResponse() as { message?: unknown; errors?: FieldError[] };
    return { status: 400, message: redactText(Array.isArray(r.message) ? r.message.join('; ') : String(r.message ?? 'bad request')), errors: r.errors };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return { status, message: status >= 500 ? 'internal error' : redactText(exception.message) };
  }
  return { status: 500, message: 'internal error' };
}
