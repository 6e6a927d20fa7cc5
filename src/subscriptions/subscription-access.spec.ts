import { DomainError } from '../common/domain.error';
import type { Principal } from '../auth/principal';
import type { Scope } from '../auth/scopes';
import type { ExecutionContext } from '@nestjs/common';
import { SubscriptionAccessGuard, subscriptionTenant } from './subscription-access';

const principal = (kind: Principal['kind'], accountId: string | null, scopes: Scope[]): Principal => ({ kind, accountId, scopes: new Set(scopes) });
const status = (p: Principal) => {
  try {
    return subscriptionTenant(p);
  } catch (e) {
    return (e as DomainError).status;
  }
};

describe('subscriptionTenant', () => {
  it('gives an admin every account', () => {
    expect(status(principal('admin-token', null, ['admin']))).toEqual({ accountId: null });
    expect(status(principal('session', null, ['admin']))).toEqual({ accountId: null });
  });

  it('gives an account credential with changes:read its own account', () => {
    expect(status(principal('api-key', 'acc-1', ['changes:read']))).toEqual({ accountId: 'acc-1' });
    expect(status(principal('session', 'acc-2', ['inventory:read', 'changes:read', 'connections:write']))).toEqual({ accountId: 'acc-2' });
  });

  it('refuses READ_TOKEN and global non-admin keys (403), and account keys without changes:read', () => {
    expect(status(principal('read-token', null, ['inventory:read', 'changes:read']))).toBe(403);
    expect(status(principal('api-key', null, ['changes:read']))).toBe(403);
    expect(status(principal('api-key', 'acc-1', ['inventory:read']))).toBe(403);
  });
});

describe('SubscriptionAccessGuard', () => {
  const context = (p?: Principal) => ({ switchToHttp: () => ({ getRequest: () => ({ principal: p }) }) }) as unknown as ExecutionContext;
  it('lets admins and account credentials through and refuses the rest with 403', () => {
    const guard = new SubscriptionAccessGuard();
    expect(guard.canActivate(context(principal('admin-token', null, ['admin'])))).toBe(true);
    expect(guard.canActivate(context(principal('api-key', 'acc', ['changes:read'])))).toBe(true);
    expect(() => guard.canActivate(context(principal('read-token', null, ['inventory:read', 'changes:read'])))).toThrow(DomainError);
    expect(() => guard.canActivate(context(undefined))).toThrow(DomainError);
  });
});
