import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConnectionsService, StoredCredentials } from '../../connections/connections.service';
import { RetryableError } from '../../ingestion/provider-handler';
import { LockmeApiClient, LockmeUnauthorizedError } from './lockme-api.client';

/** Refresh this long before the stated expiry, so a token does not die between check and use. */
export const EXPIRY_MARGIN_MS = 60_000;

/** The connection has no usable Lockme tokens (never connected, or they were erased). */
export class LockmeNotConnectedError extends Error {}

interface UsableCredentials extends StoredCredentials {
  accessToken: string;
}

export function expiresSoon(c: StoredCredentials, nowMs = Date.now()): boolean {
  if (!c.expiresAt) return false; // unknown expiry (pasted tokens): use it until Lockme answers 401
  const at = Date.parse(c.expiresAt);
  return Number.isNaN(at) || at - EXPIRY_MARGIN_MS <= nowMs;
}

/**
 * Per-connection Lockme OAuth tokens, stored sealed in connections.credentials. Refresh tokens may rotate
 * (the old one stops working), so one refresh at a time per connection across all processes: a
 * transaction-scoped PostgreSQL advisory lock, a re-read under the lock (another process may have just
 * refreshed), and the rotated refresh token saved in that same transaction.
 */
@Injectable()
export class LockmeTokenStore {
  private readonly logger = new Logger('LockmeTokens');
  /** In-process single flight: concurrent callers share one refresh instead of queueing on the lock. */
  private readonly refreshing = new Map<string, Promise<UsableCredentials>>();

  constructor(
    private readonly connections: ConnectionsService,
    private readonly api: LockmeApiClient,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Runs `call` with a valid access token: refreshed first when (nearly) expired, and once more on a 401. */
  async withAccessToken<T>(connectionId: string, call: (accessToken: string) => Promise<T>): Promise<T> {
    let creds = await this.connections.getCredentials(connectionId);
    if (!creds?.accessToken && !creds?.refreshToken) throw new LockmeNotConnectedError('the connection has no Lockme tokens yet (connect it, or send credentials)');
    let usable: UsableCredentials = creds.accessToken && !expiresSoon(creds)
      ? (creds as UsableCredentials)
      : await this.refresh(connectionId, creds.accessToken ?? null);
    try {
      return await call(usable.accessToken);
    } catch (e) {
      if (!(e instanceof LockmeUnauthorizedError)) throw e;
      usable = await this.refresh(connectionId, usable.accessToken);
      try {
        return await call(usable.accessToken);
      } catch (again) {
        if (again instanceof LockmeUnauthorizedError) throw new RetryableError('Lockme refused a freshly refreshed access token (401)');
        throw again;
      }
    }
  }

  /**
   * A new access token unless the stored one already differs from `staleAccessToken` and is fresh (someone
   * refreshed meanwhile). Throws LockmeGrantRejectedError when Lockme refuses the refresh token.
   */
  refresh(connectionId: string, staleAccessToken: string | null): Promise<UsableCredentials> {
    const running = this.refreshing.get(connectionId);
    if (running) return running;
    const p = this.refreshUnderLock(connectionId, staleAccessToken).finally(() => this.refreshing.delete(connectionId));
    this.refreshing.set(connectionId, p);
    return p;
  }

  private refreshUnderLock(connectionId: string, staleAccessToken: string | null): Promise<UsableCredentials> {
    return this.dataSource.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`lockme-token:${connectionId}`]);
      const current = await this.connections.getCredentials(connectionId, m);
      if (current?.accessToken && current.accessToken !== staleAccessToken && !expiresSoon(current)) {
        return current as UsableCredentials;
      }
      if (!current?.refreshToken) throw new LockmeNotConnectedError('the connection has no Lockme refresh token (connect it again)');
      // The HTTP call runs while the lock is held, on purpose: a second refresh with the same (rotated)
      // refresh token would fail. If this commit failed after Lockme rotated, the connection must be re-connected.
      const tokens = await this.api.refresh(current.refreshToken);
      const next: UsableCredentials = {
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken ?? current.refreshToken,
        ...(tokens.expiresAt ? { expiresAt: tokens.expiresAt } : {}),
      };
      await this.connections.saveCredentials(connectionId, next, m);
      this.logger.log({ connectionId, rotated: tokens.refreshToken !== null && tokens.refreshToken !== current.refreshToken, expiresAt: next.expiresAt ?? null }, 'Lockme access token refreshed');
      return next;
    });
  }
}
