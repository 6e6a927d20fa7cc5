import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { sha256Hex } from '../../common/crypto.util';
import { ConnectionsService, StoredCredentials } from '../../connections/connections.service';
import { RetryableError } from '../../ingestion/provider-handler';
import { StratechApiClient } from './stratech-api.client';

/** Stratech's stored credentials; `codeHash` lets a re-delivered authorization event be recognised. */
export interface StratechCredentials extends StoredCredentials {
  codeHash?: string;
}

/** An access token this close to expiry is treated as expired (clock skew, request time). */
const EXPIRY_MARGIN_MS = 60_000;

export const hashCode = (code: string) => sha256Hex(`stratech-code:${code}`);

function usable(c: StratechCredentials | null, rejected?: string): c is StratechCredentials & { accessToken: string } {
  if (!c?.accessToken || c.accessToken === rejected) return false;
  return !!c.expiresAt && Date.parse(c.expiresAt) - EXPIRY_MARGIN_MS > Date.now();
}

/**
 * Organization access tokens. The refresh is single-flight twice over: one promise per connection in
 * this process, and a row lock on the connection across processes, because Stratech may rotate the
 * refresh token and a second refresh with the old one would fail.
 */
@Injectable()
export class StratechTokenStore {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly connections: ConnectionsService,
    private readonly client: StratechApiClient,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** A valid access token; `rejected` is a token the API just refused with 401 (forces a refresh). */
  async accessToken(connection: { id: string; externalId: string }, rejected?: string): Promise<string> {
    const current = (await this.connections.getCredentials(connection.id)) as StratechCredentials | null;
    if (usable(current, rejected)) return current.accessToken;
    let pending = this.inFlight.get(connection.id);
    if (!pending) {
      pending = this.refresh(connection, rejected).finally(() => this.inFlight.delete(connection.id));
      this.inFlight.set(connection.id, pending);
    }
    return pending;
  }

  private refresh(connection: { id: string; externalId: string }, rejected?: string): Promise<string> {
    return this.dataSource.transaction(async (m) => {
      await m.query(`SELECT id FROM connections WHERE id = $1 FOR UPDATE`, [connection.id]);
      const creds = (await this.connections.getCredentials(connection.id, m)) as StratechCredentials | null;
      // Another process may have refreshed while we waited for the lock.
      if (usable(creds, rejected)) return creds.accessToken;
      // Revoked (credentials erased) between the handler's check and now: the retry will see `revoked`.
      if (!creds?.refreshToken) throw new RetryableError('Stratech connection has no refresh token (revoked meanwhile?)');
      const tokens = await this.client.refresh(connection.externalId, creds.refreshToken);
      const next: StratechCredentials = { ...creds, accessToken: tokens.accessToken, expiresAt: tokens.expiresAt, refreshToken: tokens.refreshToken ?? creds.refreshToken };
      await this.connections.saveCredentials(connection.id, next, m);
      return tokens.accessToken;
    });
  }
}
