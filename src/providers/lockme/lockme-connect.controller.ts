import { Controller, Get, Logger, Query, Redirect, Req, Res } from '@nestjs/common';
import { readCookie } from '../../common/cookies';
import {
  ApiBadRequestResponse, ApiFoundResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiQuery,
  ApiServiceUnavailableResponse, ApiTags,
} from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import type { CookieOptions, Request, Response } from 'express';
import { Access, CurrentPrincipal, Public } from '../../auth/access.decorator';
import { EVERY_ACCOUNT, Tenant } from '../../auth/principal';
import { randomToken, sha256Hex } from '../../common/crypto.util';
import { badRequest, DomainError, notFound, serviceUnavailable } from '../../common/domain.error';
import { ConnectionsService } from '../../connections/connections.service';
import { AppConfig } from '../../config/app-config';
import { EventsService } from '../../ingestion/events.service';
import { holdCause, PermanentError, RetryableError } from '../../ingestion/provider-handler';
import { LockmeApiClient, LockmeGrantRejectedError, LockmeTokenSet } from './lockme-api.client';
import { newStateNonce, signState, STATE_TTL_MS, verifyState } from './lockme-oauth-state';
import { LockmeOAuthStateStore, StateTake } from './lockme-oauth-state.store';

const START_AGAIN = 'start again from /connect/lockme';
const TAKE_REFUSED: Record<Exclude<StateTake, { ok: true }>['reason'], string> = {
  unknown: `state is missing or invalid: ${START_AGAIN}`,
  used: `this connect link was already used: ${START_AGAIN}`,
  expired: `the connect link expired: ${START_AGAIN}`,
  'other-browser': `the connect flow must be finished in the browser that started it: ${START_AGAIN}`,
};

/** One cookie per flow (named after its nonce), so two flows started in one browser do not overwrite each other. */
function cookieName(nonce: string): string {
  return `lockme_connect_${sha256Hex(nonce).slice(0, 16)}`;
}

export class LockmeConnectQuery {
  @ApiProperty({ description: 'id of the Lockme connection (POST /admin/connections {provider: "lockme"})' })
  @IsUUID('all', { message: 'connectionId must be a connection id (UUID)' })
  connectionId: string;
}

export class LockmeConnectedView {
  @ApiProperty() connectionId: string;
  @ApiProperty({ enum: ['active'] }) status: 'active';
}

/**
 * OAuth2 authorization-code flow for one Lockme connection. The `state` is signed and expiring and names the
 * connection (forgeries are refused without a query); it is also stored (a hash of its nonce, oauth_states), so
 * a callback can take it once, within 10 minutes; the start also sets an HttpOnly SameSite=Lax cookie with a
 * random value whose hash is stored with the nonce, and a callback carrying that cookie must carry that value.
 * Any process can take the callback.
 */
@ApiTags('connect')
@Controller('connect/lockme')
export class LockmeConnectController {
  private readonly logger = new Logger('LockmeConnect');

  constructor(
    private readonly connections: ConnectionsService,
    private readonly events: EventsService,
    private readonly api: LockmeApiClient,
    private readonly states: LockmeOAuthStateStore,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @Access('connections:write')
  @Redirect()
  @ApiOperation({
    summary: 'Start connecting a Lockme account',
    description: "302 to Lockme's authorize page (scope rooms_manage) with a single-use state valid for 10 minutes, "
      + 'bound to this browser by an HttpOnly cookie: the flow must be finished in the browser that made this request '
      + '(at PUBLIC_URL), logged in to the Lockme partner account.',
  })
  @ApiFoundResponse({ description: 'redirect to LOCKME_AUTHORIZE_URL' })
  @ApiNotFoundResponse({ description: 'no such connection' })
  @ApiBadRequestResponse({ description: 'connectionId is not a UUID, or the connection is not a Lockme one' })
  @ApiServiceUnavailableResponse({ description: 'Lockme is not configured' })
  async start(@CurrentPrincipal() tenant: Tenant, @Query() { connectionId }: LockmeConnectQuery, @Res({ passthrough: true }) res: Response): Promise<{ url: string; statusCode: number }> {
    this.requireEnabled();
    const connection = await this.connections.findVisible(tenant, connectionId);
    if (!connection) throw notFound('connection', connectionId);
    if (connection.provider !== 'lockme') throw badRequest('only a Lockme connection can be connected here', [{ field: 'connectionId', message: `connection is a ${connection.provider} connection` }]);
    const nonce = newStateNonce();
    const browserSecret = randomToken(32);
    await this.states.issue(connection.id, nonce, browserSecret);
    res.cookie(cookieName(nonce), browserSecret, { ...this.cookieOptions(), maxAge: STATE_TTL_MS });
    return { url: this.api.authorizeUrl(signState(connection.id, this.config.encryptionKey, Date.now(), STATE_TTL_MS, nonce)), statusCode: 302 };
  }

  /** Lockme sends the browser back here; no bearer token (the state authenticates). */
  @Get('callback')
  @Public()
  @ApiOperation({
    summary: 'OAuth2 callback from Lockme',
    description: 'Takes the state (once, within 10 minutes, from the browser that started the flow: its cookie), exchanges the code '
      + 'for tokens, stores them encrypted, sets the connection active and releases its held events. '
      + `Register ${'{PUBLIC_URL}'}/connect/lockme/callback as the redirect URI of the Lockme app.`,
  })
  @ApiQuery({ name: 'code', required: true })
  @ApiQuery({ name: 'state', required: true })
  @ApiOkResponse({ type: LockmeConnectedView })
  @ApiBadRequestResponse({ description: 'state missing, forged, expired or already used; not the browser that started the flow; code missing or refused by Lockme; authorization denied' })
  @ApiNotFoundResponse({ description: 'the connection named by the state no longer exists' })
  @ApiServiceUnavailableResponse({ description: 'Lockme is not configured, or its token endpoint is unreachable (try again)' })
  // A plain record on purpose: Lockme may add parameters we do not know, which must not fail the callback.
  async callback(@Query() query: Record<string, unknown>, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LockmeConnectedView> {
    this.requireEnabled();
    const state = verifyState(query.state, this.config.encryptionKey);
    if (!state.ok) {
      throw badRequest(state.reason === 'expired' ? TAKE_REFUSED.expired : TAKE_REFUSED.unknown, [{ field: 'state', message: state.reason }]);
    }
    if (query.error !== undefined) {
      throw badRequest(`Lockme did not grant access (${String(query.error).slice(0, 100)})`, [{ field: 'error', message: 'authorization denied' }]);
    }
    const code = query.code;
    if (typeof code !== 'string' || code === '' || code.length > 4000) throw badRequest('code is required', [{ field: 'code', message: 'required' }]);
    // Single use, from the starting browser only: taken before the code is exchanged, so a replay never reaches Lockme.
    const name = cookieName(state.nonce);
    const browserSecret = readCookie(req, name);
    // A client that keeps no cookies (the link fetched with curl and opened elsewhere, an API client) is let
    // through: the state is still signed, single-use and expiring. A browser that carries this flow's cookie
    // must carry the value it was given.
    const taken: StateTake = await this.states.take(state.nonce, browserSecret ?? null);
    if (!taken.ok) throw badRequest(TAKE_REFUSED[taken.reason], [{ field: 'state', message: taken.reason }]);
    const connection = await this.connections.findById(taken.connectionId);
    if (!connection || connection.provider !== 'lockme') throw notFound('connection', taken.connectionId);

    const tokens = await this.exchange(code, state.nonce);
    await this.connections.saveCredentials(connection.id, {
      accessToken: tokens.accessToken,
      ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
      ...(tokens.expiresAt ? { expiresAt: tokens.expiresAt } : {}),
    });
    if (connection.status !== 'active') await this.connections.update(EVERY_ACCOUNT, connection.id, { status: 'active' });
    // Events held for want of tokens (or a refused refresh token) can run now.
    await this.events.releaseCauses([holdCause.connection(connection.id)]);
    res.clearCookie(name, this.cookieOptions());
    this.logger.log({ connectionId: connection.id }, 'Lockme connection authorized');
    return { connectionId: connection.id, status: 'active' };
  }

  private async exchange(code: string, nonce: string): Promise<LockmeTokenSet> {
    try {
      return await this.api.exchangeCode(code);
    } catch (e) {
      if (e instanceof LockmeGrantRejectedError) throw badRequest(`Lockme refused the authorization code (used or expired): ${START_AGAIN}`);
      if (e instanceof RetryableError) {
        // Nothing was exchanged: the same callback (a reload) may try again.
        await this.states.giveBack(nonce);
        throw serviceUnavailable('Lockme token endpoint is unavailable: try again');
      }
      if (e instanceof PermanentError) throw new DomainError('bad-gateway', 502, 'Lockme token endpoint gave an unusable answer');
      throw e;
    }
  }

  /** Sent only to the callback (under PUBLIC_URL's path), never to scripts, and across Lockme's redirect (Lax). */
  private cookieOptions(): CookieOptions {
    const base = new URL(this.config.publicUrl);
    return {
      httpOnly: true,
      sameSite: 'lax',
      secure: base.protocol === 'https:',
      path: `${base.pathname.replace(/\/+$/, '')}/connect/lockme/callback`,
    };
  }

  private requireEnabled(): void {
    if (!this.config.enabled.lockme) throw serviceUnavailable('Lockme is not enabled on this server');
  }
}
