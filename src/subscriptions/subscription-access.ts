import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { AuthenticatedRequest } from '../auth/access.decorator';
import { forbidden } from '../common/domain.error';
import { EVERY_ACCOUNT, Principal, Tenant } from '../auth/principal';

/**
 * Who may manage subscriptions (CONTRACT.md section 10), on top of the route's `changes:read`: an admin (every
 * account), or an account-bound credential (account API key, account user's session) holding `changes:read`,
 * for its own account only. A global credential that is not admin — READ_TOKEN (global `inventory:read` +
 * `changes:read`), a global API key — is refused (403): it may read the feed but not make the server send it
 * anywhere, and a subscription it made would belong to no account.
 */
export function subscriptionTenant(principal: Principal): Tenant {
  if (principal.scopes.has('admin')) return principal.accountId === null ? EVERY_ACCOUNT : { accountId: principal.accountId };
  if (principal.accountId !== null && principal.scopes.has('changes:read')) return { accountId: principal.accountId };
  if (principal.accountId === null) {
    throw forbidden('subscriptions are managed by an admin, or by an account credential with changes:read for its own account; a global read credential cannot');
  }
  throw forbidden('this credential lacks the changes:read scope');
}

/**
 * Runs after the global AuthGuard (which checked `changes:read` and set the principal) and before the body is
 * read or validated: a refused credential gets its 403 whatever it sent.
 */
@Injectable()
export class SubscriptionAccessGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!principal) throw forbidden('this route is closed');
    subscriptionTenant(principal);
    return true;
  }
}
