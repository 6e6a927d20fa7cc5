import { Injectable } from '@nestjs/common';
import { ConnectionTokensService, NoRefreshTokenError, UsableCredentials } from '../../connections/connection-tokens.service';
import { RetryableError } from '../../ingestion/provider-handler';
import { LockmeApiClient, LockmeUnauthorizedError } from './lockme-api.client';

/** The connection has no usable Lockme tokens (never connected, or they were erased). */
export class LockmeNotConnectedError extends Error {}

/** Per-connection Lockme OAuth tokens (refresh and rotation: ConnectionTokensService). */
@Injectable()
export class LockmeTokenStore {
  constructor(private readonly tokens: ConnectionTokensService, private readonly api: LockmeApiClient) {}

  /** Runs `call` with a valid access token: refreshed first when (nearly) expired, and once more on a 401. */
  async withAccessToken<T>(connectionId: string, call: (accessToken: string) => Promise<T>): Promise<T> {
    let creds = await this.access(connectionId, null);
    try {
      return await call(creds.accessToken);
    } catch (e) {
      if (!(e instanceof LockmeUnauthorizedError)) throw e;
      creds = await this.access(connectionId, creds.accessToken);
      try {
        return await call(creds.accessToken);
      } catch (again) {
        if (again instanceof LockmeUnauthorizedError) throw new RetryableError('Lockme refused a freshly refreshed access token (401)');
        throw again;
      }
    }
  }

  /** Throws LockmeGrantRejectedError when Lockme refuses the refresh token. */
  private async access(connectionId: string, refused: string | null): Promise<UsableCredentials> {
    try {
      return await this.tokens.access(connectionId, (refreshToken) => this.api.refresh(refreshToken), refused);
    } catch (e) {
      if (e instanceof NoRefreshTokenError) throw new LockmeNotConnectedError('the connection has no Lockme tokens yet (connect it, or send credentials)');
      throw e;
    }
  }
}
