import { Body, Controller, Get, Header, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { readFileSync } from 'node:fs';
import { Public, SessionOnly } from '../auth/access.decorator';
import { AuthService } from '../auth/auth.service';
import { LoginDto } from '../auth/dto/login.dto';
import { SessionsService } from '../auth/sessions.service';
import { SESSION_COOKIE } from '../auth/session-auth';
import { readCookie } from '../common/cookies';
import { randomToken, safeEqual } from '../common/crypto.util';
import { DomainError } from '../common/domain.error';
import { AcceptsForm } from '../common/json-body.interceptor';
import { CONSOLE_CSS, CONSOLE_JS } from './console.assets';
import { ConsoleErrorFilter, field, LOGIN_PATH, validated } from './console.support';
import { consoleViews } from './console.views';

/** The login form's CSRF token: a random value in a cookie of its own, repeated in a hidden input (double submit). */
const LOGIN_CSRF_COOKIE = 'icsrf';

/** htmx from node_modules (resolved once; the package is a runtime dependency). */
let htmxSource: string | undefined;
function htmx(): string {
  htmxSource ??= readFileSync(require.resolve('htmx.org/dist/htmx.min.js'), 'utf8');
  return htmxSource;
}

/** Same-origin static files of the console: htmx, one small script, one stylesheet. No credential needed. */
@ApiExcludeController()
@Controller('console/assets')
export class ConsoleAssetsController {
  @Get('htmx.min.js')
  @Public()
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  htmx(): string {
    return htmx();
  }

  @Get('console.js')
  @Public()
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=300')
  script(): string {
    return CONSOLE_JS;
  }

  @Get('console.css')
  @Public()
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=300')
  style(): string {
    return CONSOLE_CSS;
  }
}

/** Sign-in and sign-out: the session machinery of POST /auth/login and /auth/logout, behind an HTML form. */
@ApiExcludeController()
@UseFilters(ConsoleErrorFilter)
@Controller('console')
export class ConsoleAuthController {
  constructor(private readonly auth: AuthService, private readonly sessions: SessionsService) {}

  @Get('login')
  @Public()
  async loginPage(@Req() req: Request, @Res() res: Response): Promise<void> {
    // Signed in already: straight to the overview.
    if (readCookie(req, SESSION_COOKIE) !== undefined) {
      await this.sessions.load(req, res);
      if (req.session?.auth) return res.redirect(303, '/console');
    }
    this.sendLogin(res, 200, {});
  }

  @Post('login')
  @Public()
  @AcceptsForm()
  @HttpCode(200)
  async login(@Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response): Promise<void> {
    const presented = field(body, 'csrf');
    const expected = readCookie(req, LOGIN_CSRF_COOKIE);
    if (!presented || !expected || !safeEqual(presented, expected)) {
      return this.sendLogin(res, 403, { error: 'The sign-in form expired. Please try again.' });
    }
    const adminToken = field(body, 'adminToken');
    const email = field(body, 'email');
    try {
      const dto = await validated(LoginDto, adminToken !== undefined ? { adminToken } : { email, password: typeof body.password === 'string' && body.password !== '' ? body.password : undefined });
      await this.auth.login(dto, req, res);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      if (e.status === 429) res.setHeader('Retry-After', String((e as DomainError & { retryAfterS?: number }).retryAfterS ?? 60));
      const message = e.status === 401 ? (adminToken !== undefined ? 'Wrong admin token.' : 'Wrong e-mail or password.')
        : e.status === 429 ? 'Too many failed sign-ins. Wait a minute and try again.'
        : e.status === 400 ? 'Enter an e-mail and a password, or the admin token.' : e.message;
      return this.sendLogin(res, e.status, { error: message, email });
    }
    res.clearCookie(LOGIN_CSRF_COOKIE, { path: LOGIN_PATH });
    res.redirect(303, '/console');
  }

  /** htmx posts it with the session's CSRF header; the browser then goes to the sign-in page. */
  @Post('logout')
  @SessionOnly()
  @HttpCode(200)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    await this.auth.logout(req, res);
    res.setHeader('HX-Redirect', LOGIN_PATH);
    return '';
  }

  private sendLogin(res: Response, status: number, data: { error?: string; email?: string }): void {
    const csrf = randomToken(24);
    res.cookie(LOGIN_CSRF_COOKIE, csrf, { httpOnly: true, sameSite: 'strict', secure: this.sessions.cookieOptions.secure, path: LOGIN_PATH, maxAge: 3600_000 });
    res.status(status).type('html').send(consoleViews.page('login', 'Sign in', null, { ...data, csrf }));
  }
}
