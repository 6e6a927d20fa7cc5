import { Injectable, Logger } from '@nestjs/common';
import OAuth2Server, { OAuthError } from '@node-oauth/oauth2-server';
import type { Request, Response } from 'express';
import { AccountsRepository } from '../../../accounts/accounts.repository';
import { AuthService } from '../../../auth/auth.service';
import { SESSION_COOKIE } from '../../../auth/session-auth';
import { SessionsService } from '../../../auth/sessions.service';
import { readCookie } from '../../../common/cookies';
import { randomToken, safeEqual, sha256Hex } from '../../../common/crypto.util';
import { RateLimitedError } from '../../../common/domain.error';
import { AppConfig } from '../../../config/app-config';
import { renderConsentPage, renderErrorPage } from './consent-page';
import { SyncarooGrantsRepository } from './syncaroo-grants.repository';
import { GrantUser, SyncarooOAuthModel } from './syncaroo-oauth.model';
import { ACCESS_TOKEN_LIFETIME_S, AUTHORIZATION_CODE_LIFETIME_S, AuthorizeParams, REFRESH_TOKEN_LIFETIME_S } from './syncaroo-partner.contract';

export const CONSENT_CSRF_COOKIE = 'isoauth';

/** What a route sends back: an HTML page, a redirect, or an RFC 6749 JSON answer. */
export type OAuthAnswer =
  | { kind: 'html'; status: number; html: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> };

const oauthError = (status: number, error: string, description: string): OAuthAnswer =>
  ({ kind: 'json', status, body: { error, error_description: description } });

function withQuery(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

/** The authorization server of tier 2 (CONTRACT 9.1, 9.2, 9.6), on @node-oauth/oauth2-server. */
@Injectable()
export class SyncarooOAuthService {
  private readonly logger = new Logger('SyncarooOAuth');
  readonly model: SyncarooOAuthModel;
  private readonly server: OAuth2Server;

  constructor(
    private readonly config: AppConfig,
    private readonly grants: SyncarooGrantsRepository,
    private readonly accounts: AccountsRepository,
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
  ) {
    this.model = new SyncarooOAuthModel(config, grants);
    this.server = new OAuth2Server({
      model: this.model,
      accessTokenLifetime: ACCESS_TOKEN_LIFETIME_S,
      refreshTokenLifetime: REFRESH_TOKEN_LIFETIME_S,
      authorizationCodeLifetime: AUTHORIZATION_CODE_LIFETIME_S,
      allowEmptyState: false,
      alwaysIssueNewRefreshToken: true,
      requireClientAuthentication: { authorization_code: true, refresh_token: true },
    });
  }

  get enabled(): boolean {
    return this.config.syncarooPartner !== null;
  }

  /**
   * Checks that can only be answered on a page (RFC 6749 4.1.2.1: never redirect to an unverified URI), then
   * those answered by a redirect with `error` and `state`. null: the request is good.
   */
  private precheck(p: AuthorizeParams): OAuthAnswer | null {
    const partner = this.config.syncarooPartner!;
    if (!p.client_id || !safeEqual(p.client_id, partner.clientId)) return { kind: 'html', status: 400, html: renderErrorPage('The application asking to connect is not known to this platform.') };
    if (!p.redirect_uri || !partner.redirectUris.includes(p.redirect_uri)) return { kind: 'html', status: 400, html: renderErrorPage('The address to return to is not one registered for Syncaroo.') };
    const fail = (error: string, description: string): OAuthAnswer =>
      ({ kind: 'redirect', location: withQuery(p.redirect_uri!, { error, error_description: description, state: p.state }) });
    if (p.response_type !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    if (!p.state) return fail('invalid_request', 'state is required');
    if (p.code_challenge_method !== undefined && p.code_challenge === undefined) return fail('invalid_request', 'code_challenge_method without code_challenge');
    if (p.code_challenge !== undefined && (p.code_challenge_method ?? 'S256') !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256');
    if (p.code_challenge !== undefined && !/^[A-Za-z0-9._~-]{43,128}$/.test(p.code_challenge)) return fail('invalid_request', 'code_challenge is malformed');
    return null;
  }

  async showConsent(req: Request, res: Response, params: AuthorizeParams): Promise<OAuthAnswer> {
    const bad = this.precheck(params);
    if (bad) return bad;
    return { kind: 'html', status: 200, html: renderConsentPage({ params, csrf: this.csrfFor(req, res), signedIn: await this.signedIn(req, res) }) };
  }

  /** The consent form's POST: deny, or approve with the signed-in session or the e-mail and password given. */
  async decide(req: Request, res: Response, params: AuthorizeParams, form: Record<string, unknown>): Promise<OAuthAnswer> {
    const bad = this.precheck(params);
    if (bad) return bad;
    const again = async (error: string, status = 200): Promise<OAuthAnswer> =>
      ({ kind: 'html', status, html: renderConsentPage({ params, csrf: this.csrfFor(req, res), signedIn: await this.signedIn(req, res), error }) });
    const cookie = readCookie(req, CONSENT_CSRF_COOKIE);
    if (typeof form.csrf !== 'string' || !cookie || !safeEqual(form.csrf, cookie)) {
      return again('This page expired or was not opened here. Please try again.', 403);
    }
    if (form.decision === 'deny') {
      this.logger.log('consent denied');
      return { kind: 'redirect', location: withQuery(params.redirect_uri!, { error: 'access_denied', error_description: 'the user denied the request', state: params.state }) };
    }
    if (form.decision !== 'approve') return again('Choose Approve or Deny.');
    const session = await this.signedIn(req, res);
    let user: GrantUser;
    if (session) {
      user = { accountId: session.accountId, userId: session.userId };
    } else {
      const email = typeof form.email === 'string' ? form.email : '';
      const password = typeof form.password === 'string' ? form.password : '';
      if (!email || !password) return again('Enter your e-mail and password.');
      let found;
      try {
        found = await this.auth.verifyCredentials(email, password);
      } catch (e) {
        if (e instanceof RateLimitedError) return again('Too many failed sign-ins for this e-mail. Wait a minute and try again.', 429);
        throw e;
      }
      if (!found) return again('Wrong e-mail or password.');
      user = { accountId: found.accountId, userId: found.id };
    }
    const request = new OAuth2Server.Request({ method: 'POST', headers: {}, query: {}, body: { ...params } });
    const response = new OAuth2Server.Response({ headers: {} });
    try {
      await this.server.authorize(request, response, { authenticateHandler: { handle: async () => user } });
    } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
    }
    const location = response.get('location') as string | undefined;
    if (!location) return again('The request could not be completed. Start again from Syncaroo.', 400);
    this.logger.log({ accountId: user.accountId, userId: user.userId }, 'consent approved; code issued');
    return { kind: 'redirect', location };
  }

  /** RFC 6749 5.1 / 5.2; a form or a JSON body. */
  async token(req: Request, body: Record<string, unknown>): Promise<OAuthAnswer> {
    const request = new OAuth2Server.Request({
      method: 'POST',
      query: {},
      // The library reads form bodies only; a JSON body is handed over as the form it stands for.
      headers: { ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), 'content-type': 'application/x-www-form-urlencoded', 'content-length': req.headers['content-length'] ?? '1' },
      body: stringValues(body),
    });
    const response = new OAuth2Server.Response({ headers: {} });
    try {
      const token = await this.server.token(request, response);
      return {
        kind: 'json', status: 200, headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
        body: {
          access_token: token.accessToken, token_type: 'Bearer',
          expires_in: Math.max(0, Math.round(((token.accessTokenExpiresAt?.getTime() ?? Date.now()) - Date.now()) / 1000)),
          refresh_token: token.refreshToken,
        },
      };
    } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      const status = e.name === 'invalid_client' ? 401 : e.code >= 500 ? 500 : 400;
      // The library knows grants this server never offers (password, client_credentials): for Syncaroo they do not exist.
      if (e.name === 'unauthorized_client' && !['authorization_code', 'refresh_token'].includes(String(body.grant_type))) {
        return oauthError(400, 'unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
      }
      const headers = status === 401 ? { 'www-authenticate': 'Basic realm="syncaroo"' } : undefined;
      return { ...oauthError(status, e.name === 'server_error' ? 'server_error' : e.name, e.message), headers } as OAuthAnswer;
    }
  }

  /** RFC 7009: a refresh token revokes its whole grant (and the connection bound through it); unknown tokens are 200 too. */
  async revoke(req: Request, body: Record<string, unknown>): Promise<{ answer: OAuthAnswer; revokedConnection: string | null }> {
    const creds = clientCredentials(req, body);
    if (!creds || !(await this.model.getClient(creds.id, creds.secret))) {
      return { answer: { ...oauthError(401, 'invalid_client', 'client authentication failed'), headers: { 'www-authenticate': 'Basic realm="syncaroo"' } } as OAuthAnswer, revokedConnection: null };
    }
    const token = typeof body.token === 'string' ? body.token : '';
    if (!token) return { answer: oauthError(400, 'invalid_request', 'token is required'), revokedConnection: null };
    const hint = body.token_type_hint === 'access_token' ? ['access', 'refresh'] as const : ['refresh', 'access'] as const;
    for (const kind of hint) {
      const found = await this.grants.findToken(kind, sha256Hex(token));
      if (!found) continue;
      if (kind === 'access') {
        await this.grants.revokeTokenRow(found.tokenId);
        return { answer: { kind: 'json', status: 200, body: {} }, revokedConnection: null };
      }
      const { connectionId } = await this.grants.revokeGrant(found.grantId);
      this.logger.log({ grantId: found.grantId, connectionId }, 'Syncaroo grant revoked');
      return { answer: { kind: 'json', status: 200, body: {} }, revokedConnection: connectionId };
    }
    return { answer: { kind: 'json', status: 200, body: {} }, revokedConnection: null };
  }

  /** A live access token's grant, or null (missing, unknown, expired or revoked). */
  async bearer(req: Request) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) return null;
    const t = await this.grants.findToken('access', sha256Hex(match[1]));
    return t && t.accessExpiresAt.getTime() > Date.now() ? t : null;
  }

  private csrfFor(req: Request, res: Response): string {
    const existing = readCookie(req, CONSENT_CSRF_COOKIE);
    if (existing && /^[A-Za-z0-9_-]{32,64}$/.test(existing)) return existing;
    const value = randomToken();
    res.cookie(CONSENT_CSRF_COOKIE, value, { httpOnly: true, sameSite: 'lax', secure: this.sessions.cookieOptions.secure, path: '/oauth/syncaroo', maxAge: 3600_000 });
    return value;
  }

  private async signedIn(req: Request, res: Response): Promise<{ userId: string; accountId: string; email: string; accountName: string } | null> {
    if (!readCookie(req, SESSION_COOKIE)) return null;
    await this.sessions.load(req, res);
    const auth = req.session?.auth;
    if (auth?.kind !== 'user') return null;
    const account = await this.accounts.findById(auth.accountId);
    return account ? { userId: auth.userId, accountId: auth.accountId, email: auth.email, accountName: account.name } : null;
  }
}


function stringValues(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body ?? {})) if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
  return out;
}

/** RFC 6749 2.3.1: HTTP Basic (form-urlencoded id and secret) or client_id + client_secret in the body. */
function clientCredentials(req: Request, body: Record<string, unknown>): { id: string; secret: string } | null {
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return null;
    try {
      return { id: decodeURIComponent(decoded.slice(0, i).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(i + 1).replace(/\+/g, ' ')) };
    } catch {
      return null;
    }
  }
  return typeof body.client_id === 'string' && typeof body.client_secret === 'string' ? { id: body.client_id, secret: body.client_secret } : null;
}
