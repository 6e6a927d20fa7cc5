import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiExtension, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import type { Principal } from './principal';
import type { Scope } from './scopes';

/** A route's access rule: a scope, `public` (no credential), or `session` (any console session). */
export type AccessRule = Scope | 'public' | 'session';
export const ACCESS_RULE = 'inventory-sync:access';

/**
 * `@Access('connections:read')` etc. AuthGuard runs on every route and refuses one that declares no rule, so
 * a new route is closed until it says who may call it.
 */
export const Access = (scope: Scope) =>
  applyDecorators(
    SetMetadata(ACCESS_RULE, scope),
    ApiBearerAuth(),
    ApiCookieAuth('session'),
    ApiExtension('x-required-scope', scope),
    ApiUnauthorizedResponse({ description: 'missing, unknown, revoked or expired credential' }),
    ApiForbiddenResponse({ description: `the credential lacks scope \`${scope}\`${scope === 'admin' ? '' : ' (or `admin`)'}; or a cookie request without x-csrf-token` }),
  );

/** No credential: webhooks (each provider's own authentication), ops, the OAuth callback, login. */
export const Public = () => SetMetadata(ACCESS_RULE, 'public' satisfies AccessRule);

/** A console session of any kind (the cookie from POST /auth/login). */
export const SessionOnly = () =>
  applyDecorators(SetMetadata(ACCESS_RULE, 'session' satisfies AccessRule), ApiCookieAuth('session'));

export type AuthenticatedRequest = Request & { principal?: Principal };

/** The caller's principal (and so its tenant) for repositories that scope by account. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  // AuthGuard sets it on every non-public route; a public route asking for it is a programming error.
  if (!principal) throw new Error('CurrentPrincipal on a route without authentication');
  return principal;
});
