import { Controller, Get, Logger, Query, Redirect } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiFoundResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiQuery,
  ApiServiceUnavailableResponse, ApiTags,
} from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { Access } from '../../common/auth.guard';
import { badRequest, DomainError, notFound, serviceUnavailable } from '../../common/domain.error';
import { ConnectionsService } from '../../connections/connections.service';
import { AppConfig } from '../../config/app-config';
import { EventsService } from '../../ingestion/events.service';
import { holdCause, PermanentError, RetryableError } from '../../ingestion/provider-handler';
import { LockmeApiClient, LockmeGrantRejectedError, LockmeTokenSet } from './lockme-api.client';
import { signState, verifyState } from './lockme-oauth-state';

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
 * OAuth2 authorization-code flow for one Lockme connection. The `state` is signed and expiring, and names the
 * connection, so the callback needs no session and any process can take it.
 */
@ApiTags('connect')
@Controller('connect/lockme')
export class LockmeConnectController {
  private readonly logger = new Logger('LockmeConnect');

  constructor(
    private readonly connections: ConnectionsService,
    private readonly events: EventsService,
    private readonly api: LockmeApiClient,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @Access('admin')
  @Redirect()
  @ApiOperation({
    summary: 'Start connecting a Lockme account',
    description: "302 to Lockme's authorize page (scope rooms_manage) with a signed state valid for 10 minutes. "
      + 'Open the Location in a browser logged in to the Lockme partner account.',
  })
  @ApiFoundResponse({ description: 'redirect to LOCKME_AUTHORIZE_URL' })
  @ApiNotFoundResponse({ description: 'no such connection' })
  @ApiBadRequestResponse({ description: 'connectionId is not a UUID, or the connection is not a Lockme one' })
  @ApiServiceUnavailableResponse({ description: 'Lockme is not configured' })
  async start(@Query() { connectionId }: LockmeConnectQuery): Promise<{ url: string; statusCode: number }> {
    this.requireEnabled();
    const connection = await this.connections.findById(connectionId);
    if (!connection) throw notFound('connection', connectionId);
    if (connection.provider !== 'lockme') throw badRequest('only a Lockme connection can be connected here', [{ field: 'connectionId', message: `connection is a ${connection.provider} connection` }]);
    return { url: this.api.authorizeUrl(signState(connection.id, this.config.encryptionKey)), statusCode: 302 };
  }

  /** Lockme sends the browser back here; no bearer token (the state authenticates). */
  @Get('callback')
  @ApiOperation({
    summary: 'OAuth2 callback from Lockme',
    description: 'Exchanges the code for tokens, stores them encrypted, sets the connection active and releases its held events. '
      + `Register ${'{PUBLIC_URL}'}/connect/lockme/callback as the redirect URI of the Lockme app.`,
  })
  @ApiQuery({ name: 'code', required: true })
  @ApiQuery({ name: 'state', required: true })
  @ApiOkResponse({ type: LockmeConnectedView })
  @ApiBadRequestResponse({ description: 'state missing, forged or expired; code missing or refused by Lockme; authorization denied' })
  @ApiNotFoundResponse({ description: 'the connection named by the state no longer exists' })
  @ApiServiceUnavailableResponse({ description: 'Lockme is not configured, or its token endpoint is unreachable (try again)' })
  // A plain record on purpose: Lockme may add parameters we do not know, which must not fail the callback.
  async callback(@Query() query: Record<string, unknown>): Promise<LockmeConnectedView> {
    this.requireEnabled();
    const state = verifyState(query.state, this.config.encryptionKey);
    if (!state.ok) {
      throw badRequest(state.reason === 'expired' ? 'the connect link expired: start again from /connect/lockme' : 'state is missing or invalid: start again from /connect/lockme',
        [{ field: 'state', message: state.reason }]);
    }
    if (query.error !== undefined) {
      throw badRequest(`Lockme did not grant access (${String(query.error).slice(0, 100)})`, [{ field: 'error', message: 'authorization denied' }]);
    }
    const code = query.code;
    if (typeof code !== 'string' || code === '' || code.length > 4000) throw badRequest('code is required', [{ field: 'code', message: 'required' }]);
    const connection = await this.connections.findById(state.connectionId);
    if (!connection || connection.provider !== 'lockme') throw notFound('connection', state.connectionId);

    const tokens = await this.exchange(code);
    await this.connections.saveCredentials(connection.id, {
      accessToken: tokens.accessToken,
      ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
      ...(tokens.expiresAt ? { expiresAt: tokens.expiresAt } : {}),
    });
    if (connection.status !== 'active') await this.connections.update(connection.id, { status: 'active' });
    // Events held for want of tokens (or a refused refresh token) can run now.
    await this.events.releaseCauses([holdCause.connection(connection.id)]);
    this.logger.log({ connectionId: connection.id }, 'Lockme connection authorized');
    return { connectionId: connection.id, status: 'active' };
  }

  private async exchange(code: string): Promise<LockmeTokenSet> {
    try {
      return await this.api.exchangeCode(code);
    } catch (e) {
      if (e instanceof LockmeGrantRejectedError) throw badRequest('Lockme refused the authorization code (used or expired): start again from /connect/lockme');
      if (e instanceof RetryableError) throw serviceUnavailable('Lockme token endpoint is unavailable: try again');
      if (e instanceof PermanentError) throw new DomainError('bad-gateway', 502, 'Lockme token endpoint gave an unusable answer');
      throw e;
    }
  }

  private requireEnabled(): void {
    if (!this.config.enabled.lockme) throw serviceUnavailable('Lockme is not enabled on this server');
  }
}
