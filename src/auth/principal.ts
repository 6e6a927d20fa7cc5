import type { Scope } from './scopes';

/**
 * Whose rows a call may see: one account, or every account (global credentials: ADMIN_TOKEN, READ_TOKEN,
 * admin sessions, global keys). Repositories take it as a required argument on every API-facing method, so a
 * route cannot forget the filter: the compiler asks for it.
 */
export interface Tenant {
  /** null = every account. */
  readonly accountId: string | null;
}

export const EVERY_ACCOUNT: Tenant = Object.freeze({ accountId: null });

/** The authenticated caller of one request, set by AuthGuard. */
export interface Principal extends Tenant {
  readonly kind: 'admin-token' | 'read-token' | 'api-key' | 'session';
  readonly scopes: ReadonlySet<Scope>;
  /** The API key or account user behind it, for logs. */
  readonly keyId?: string;
  readonly userId?: string;
}

export function allows(principal: Principal, scope: Scope): boolean {
  return principal.scopes.has('admin') || principal.scopes.has(scope);
}
