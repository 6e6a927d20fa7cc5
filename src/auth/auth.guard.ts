import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { readCookie } from '../common/cookies';
import { safeEqual, sha256Hex } from '../common/crypto.util';
import { forbidden, unauthorized } from '../common/domain.error';
import { AppConfig } from '../config/app-config';
import { ACCESS_RULE, AccessRule, AuthenticatedRequest } from './access.decorator';
import { ApiKeyVerifier } from './api-key.verifier';
import { allows, Principal } from './principal';
import { ACCOUNT_SCOPES, Scope } from './scopes';
import { SESSION_COOKIE } from './session-auth';
import { SessionsService } from './sessions.service';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const ADMIN: ReadonlySet<Scope> = new Set<Scope>(['admin']);
const GLOBAL_READ: ReadonlySet<Scope> = new Set<Scope>(['inventory:read', 'changes:read']);
const ACCOUNT_USER: ReadonlySet<Scope> = new Set<Scope>(ACCOUNT_SCOPES);

/**
 * The one guard of the HTTP API (APP_GUARD): resolves the caller (Bearer ADMIN_TOKEN, READ_TOKEN or `isk_` key;
 * else the session cookie, with CSRF for unsafe methods), checks the route's scope, and hands the principal to
 * the route. Its account is the tenant every repository call of the route is scoped to.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
    private readonly keys: ApiKeyVerifier,
    private readonly sessions: SessionsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [context.getHandler(), context.getClass()]);
    if (rule === 'public') return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    if (!rule) {
      this.logger.error({ path: req.path }, 'route declares no access rule; refused');
      throw forbidden('this route is closed');
    }
    const principal = await this.authenticate(req, res, rule === 'session');
    if (rule !== 'session' && !allows(principal, rule)) throw forbidden(`this credential lacks the ${rule} scope`);
    req.principal = principal;
    return true;
  }

  private async authenticate(req: AuthenticatedRequest, res: Response, sessionOnly: boolean): Promise<Principal> {
    const header = req.headers.authorization;
    if (header !== undefined && !sessionOnly) return this.bearer(header);
    if (readCookie(req, SESSION_COOKIE) === undefined) throw unauthorized(sessionOnly ? 'no session' : 'missing or invalid bearer token');
    await this.sessions.load(req, res);
    const auth = req.session?.auth;
    if (!auth) throw unauthorized('no session');
    if (!SAFE_METHODS.has(req.method)) {
      const presented = req.headers['x-csrf-token'];
      if (typeof presented !== 'string' || !req.session.csrfToken || !safeEqual(presented, req.session.csrfToken)) {
        throw forbidden('a cookie-authenticated change needs the x-csrf-token header from GET /auth/session');
      }
    }
    if (auth.kind === 'admin') {
      if (!safeEqual(auth.adminTokenHash, sha256Hex(this.config.env.ADMIN_TOKEN))) throw unauthorized('no session');
      return { kind: 'session', accountId: null, scopes: ADMIN };
    }
    return { kind: 'session', accountId: auth.accountId, scopes: ACCOUNT_USER, userId: auth.userId };
  }

  private async bearer(header: string): Promise<Principal> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized();
    const token = match[1];
    if (safeEqual(token, this.config.env.ADMIN_TOKEN)) return { kind: 'admin-token', accountId: null, scopes: ADMIN };
    const readToken = this.config.env.READ_TOKEN;
    if (readToken && safeEqual(token, readToken)) return { kind: 'read-token', accountId: null, scopes: GLOBAL_READ };
    const key = await this.keys.verify(token);
    if (!key) throw unauthorized();
    return { kind: 'api-key', accountId: key.accountId, scopes: new Set(key.scopes), keyId: key.id };
  }
}

