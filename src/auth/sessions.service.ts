import { hkdfSync } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import { DataSource } from 'typeorm';
import { randomToken } from '../common/crypto.util';
import { AppConfig } from '../config/app-config';
import { PgSessionStore } from './pg-session.store';
import { SESSION_COOKIE, SessionAuth } from './session-auth';

const SESSION_HOURS = 12;

/**
 * express-session, run on demand rather than as a global middleware: only requests that carry no Bearer token
 * and routes that open a session pay for the lookup, and a database error surfaces inside Nest (503
 * problem+json) instead of express's default HTML error page.
 */
@Injectable()
export class SessionsService {
  private readonly middleware: RequestHandler;
  readonly cookieOptions: { httpOnly: true; sameSite: 'lax'; secure: boolean; path: '/' };

  constructor(@InjectDataSource() private readonly dataSource: DataSource, config: AppConfig) {
    const secure = config.publicUrl.startsWith('https:');
    this.cookieOptions = { httpOnly: true, sameSite: 'lax', secure, path: '/' };
    // The cookie signature key is derived from ENCRYPTION_KEY: one secret fewer to configure.
    const secret = Buffer.from(hkdfSync('sha256', config.encryptionKey, Buffer.alloc(0), 'inventory-sync session cookie', 32)).toString('base64');
    this.middleware = session({
      name: SESSION_COOKIE,
      secret,
      store: new PgSessionStore(dataSource),
      resave: false,
      saveUninitialized: false,
      rolling: false,
      unset: 'destroy',
      // Secure cookies behind a TLS-terminating proxy: express-session trusts X-Forwarded-Proto only when told to.
      proxy: secure,
      cookie: { ...this.cookieOptions, maxAge: SESSION_HOURS * 3600_000 },
    });
  }

  /** Loads the request's session (if its cookie names one) onto req.session. */
  load(req: Request, res: Response): Promise<void> {
    if (req.session) return Promise.resolve();
    return new Promise((resolve, reject) => this.middleware(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
  }

  /** A fresh session id on every login (no fixation), with its own CSRF token. */
  async open(req: Request, res: Response, auth: SessionAuth): Promise<void> {
    await this.load(req, res);
    await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
    req.session.auth = auth;
    req.session.csrfToken = randomToken(24);
    await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
  }

  async close(req: Request, res: Response): Promise<void> {
    await this.load(req, res);
    await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
    res.clearCookie(SESSION_COOKIE, this.cookieOptions);
  }

  async endSessionsOfUser(userId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM sessions WHERE user_id = $1`, [userId]);
  }
}
