export interface FieldError {
  field: string;
  message: string;
}

/** A domain error carries a stable code; ProblemFilter maps it to application/problem+json. */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
  }
}

export const notFound = (what: string, id?: string) =>
  new DomainError('not-found', 404, id === undefined ? `${what} not found` : `${what} ${JSON.stringify(id)} not found`);
export const conflict = (message: string) => new DomainError('conflict', 409, message);
export const badRequest = (message: string, errors?: FieldError[]) => new DomainError('bad-request', 400, message, errors);
export const unauthorized = (message = 'missing or invalid bearer token') => new DomainError('unauthorized', 401, message);
export const forbidden = (message: string) => new DomainError('forbidden', 403, message);
export const serviceUnavailable = (message: string) => new DomainError('service-unavailable', 503, message);
/** Load shed before any work (a bounded queue is full): 503 + Retry-After, nothing stored. */
export const overloaded = (message: string) => new DomainError('overloaded', 503, message);

/** Too many attempts (login throttling): 429 with Retry-After. */
export class RateLimitedError extends DomainError {
  constructor(message: string, readonly retryAfterS: number) {
    super('too-many-requests', 429, message);
  }
}
