import { Injectable } from '@nestjs/common';
import { sha256Hex } from '../../common/crypto.util';
import { ConnectionTokensService, NoRefreshTokenError } from '../../connections/connection-tokens.service';
import type { StoredCredentials } from '../../connections/connections.service';
import { RetryableError } from '../../ingestion/provider-handler';
import { StratechApiClient } from './stratech-api.client';

/** Stratech's stored credentials; `codeHash` lets a re-delivered authorization event be recognised. */
export interface StratechCredentials extends StoredCredentials {
  codeHash?: string;
}

export const hashCode = (code: string) => sha256Hex(`stratech-code:${code}`);

/** Organization access tokens, refreshed at the organization's identity URL (see ConnectionTokensService). */
@Injectable()
export class StratechTokenStore {
  constructor(private readonly tokens: ConnectionTokensService, private readonly client: StratechApiClient) {}

  /** A valid access token; `rejected` is a token the API just refused with 401 (forces a refresh). */
  async accessToken(connection: { id: string; externalId: string }, rejected?: string): Promise<string> {
    try {
      const creds = await this.tokens.access(connection.id, (refreshToken) => this.client.refresh(connection.externalId, refreshToken), rejected ?? null);
      return creds.accessToken;
    } catch (e) {
      // Revoked (credentials erased) between the handler's check and now: the retry will see `revoked`.
      if (e instanceof NoRefreshTokenError) throw new RetryableError('Stratech connection has no refresh token (revoked meanwhile?)');
      throw e;
    }
  }
}
