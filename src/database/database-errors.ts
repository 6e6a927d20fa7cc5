import { QueryFailedError } from 'typeorm';
/**
 * Whether an error means "the database cannot be reached or is going away" (refused or dropped
 * connections, a server shutting down or starting up, a pool that could not get a connection in time),
 * as opposed to a fault of the statement itself. Those answer 503 with Retry-After and are retried.
 */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
/** SQLSTATE class 08 (connection exception), 57P01..57P03 (admin/crash shutdown, cannot connect now), 53300 (too many connections). */
const SQLSTATES = /^(08\d{3}|57P0[123]|53300)$/;
const MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)|terminating connection/i;

export function isDatabaseUnavailable(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== 'object' || depth > 3) return false;
  const err = e as { code?: unknown; message?: unknown; errors?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof err.code === 'string' && (CONNECTION_CODES.has(err.code) || SQLSTATES.test(err.code))) return true;
  if (typeof err.message === 'string' && MESSAGES.test(err.message)) return true;
  // AggregateError (every address refused), TypeORM's QueryFailedError (driverError), wrapped causes.
  if (Array.isArray(err.errors) && err.errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  return isDatabaseUnavailable(err.driverError, depth + 1) || isDatabaseUnavailable(err.cause, depth + 1);
}

/** A one-line description of an error for a log line: name, code and message (AggregateError has no message). */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  const inner = (e as { errors?: unknown[] }).errors;
  const message = e.message || (Array.isArray(inner) && inner[0] instanceof Error ? inner[0].message : '');
  return [e.name, typeof code === 'string' ? code : null, message].filter(Boolean).join(': ').slice(0, 500);
}

/** A unique index refused the write (SQLSTATE 23505). */
export function isUniqueViolation(e: unknown): boolean {
  return e instanceof QueryFailedError && (e.driverError as { code?: string })?.code === '23505';
}
