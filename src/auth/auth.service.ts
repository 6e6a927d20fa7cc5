import { Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AccountUsersRepository, LoginCandidate } from '../accounts/account-users.repository';
import { emailKey } from '../accounts/accounts.mapper';
import { decoyHash, verifyPassword } from '../accounts/passwords';
import { safeEqual, sha256Hex } from '../common/crypto.util';
import { badRequest, RateLimitedError, unauthorized } from '../common/domain.error';
import { AppConfig } from '../config/app-config';
import type { LoginDto, SessionUserView } from './dto/login.dto';
import { LOGIN_MAX_FAILURES, LoginThrottleRepository } from './login-throttle.repository';
import type { SessionAuth } from './session-auth';
import { SessionsService } from './sessions.service';

const WRONG = 'wrong e-mail or password';
/** The throttle bucket of admin-token logins; parentheses and a space cannot be in an e-mail address. */
const ADMIN_BUCKET = '(admin token)';

@Injectable()
export class AuthService {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly users: AccountUsersRepository,
    private readonly throttle: LoginThrottleRepository,
    private readonly sessions: SessionsService,
    private readonly config: AppConfig,
  ) {}

  async login(dto: LoginDto, req: Request, res: Response): Promise<SessionUserView> {
    if (dto.adminToken !== undefined) {
      if (dto.email !== undefined || dto.password !== undefined) throw badRequest('send either adminToken or email and password', [{ field: 'adminToken', message: 'adminToken goes alone' }]);
      // One throttle bucket for every admin-token guess.
      await this.countAttempt(ADMIN_BUCKET);
      if (!safeEqual(dto.adminToken, this.config.env.ADMIN_TOKEN)) throw unauthorized('wrong admin token');
      await this.throttle.clear(ADMIN_BUCKET);
      await this.sessions.open(req, res, { kind: 'admin', adminTokenHash: sha256Hex(this.config.env.ADMIN_TOKEN) });
      this.logger.log('admin session opened');
      return sessionUser(req.session.auth!);
    }
    if (dto.email === undefined || dto.password === undefined) {
      throw badRequest('email and password are required', [
        ...(dto.email === undefined ? [{ field: 'email', message: 'email is required' }] : []),
        ...(dto.password === undefined ? [{ field: 'password', message: 'password is required' }] : []),
      ]);
    }
    const user = await this.verifyCredentials(dto.email, dto.password);
    if (!user) throw unauthorized(WRONG);
    await this.sessions.open(req, res, { kind: 'user', userId: user.id, accountId: user.accountId, email: user.email });
    this.logger.log({ userId: user.id, accountId: user.accountId }, 'session opened');
    return sessionUser(req.session.auth!);
  }

  /**
   * An account user's e-mail and password, throttled per e-mail (RateLimitedError past the limit): the user, or
   * null for a wrong e-mail or password alike (an unknown e-mail is checked against a decoy hash, as long).
   * The one check of the console login and the Syncaroo consent page.
   */
  async verifyCredentials(email: string, password: string): Promise<LoginCandidate | null> {
    if (email.includes('\u0000') || email.length > 320) return null;
    const key = emailKey(email);
    await this.countAttempt(key);
    const user = await this.users.findForLogin(key);
    const ok = await verifyPassword(user?.passwordHash ?? (await decoyHash()), password);
    if (!user || !ok) {
      this.logger.warn({ userId: user?.id ?? null }, 'sign-in refused');
      return null;
    }
    await this.throttle.clear(key);
    return user;
  }

  async logout(req: Request, res: Response): Promise<void> {
    await this.sessions.close(req, res);
  }

  session(req: Request): { user: SessionUserView; csrfToken: string } {
    return { user: sessionUser(req.session.auth!), csrfToken: req.session.csrfToken! };
  }

  private async countAttempt(key: string): Promise<void> {
    const { attempts, retryAfterS } = await this.throttle.countAttempt(key);
    if (attempts > LOGIN_MAX_FAILURES) throw new RateLimitedError('too many failed logins for this e-mail; wait a minute', retryAfterS);
  }
}

function sessionUser(auth: SessionAuth): SessionUserView {
  return auth.kind === 'admin'
    ? { id: null, email: null, accountId: null, admin: true }
    : { id: auth.userId, email: auth.email, accountId: auth.accountId, admin: false };
}
