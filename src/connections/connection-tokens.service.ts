import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { handlerContext } from '../ingestion/handler-context';
import { RetryableError } from '../ingestion/provider-handler';
import { MetricsService } from '../ops/metrics.service';
import { ConnectionsService, StoredCredentials } from './connections.service';

/** Refresh this long before the stated expiry, so a token does not die between check and use. */
const EXPIRY_MARGIN_MS = 60_000;
/** A refresh's own limit for its outbound calls, whatever the handler that started it does meanwhile. */
const REFRESH_TIMEOUT_MS = 30_000;

export interface UsableCredentials extends StoredCredentials {
  accessToken: string;
}

/** What a provider's token endpoint answered to a refresh_token grant. */
export interface RefreshedTokens {
  accessToken: string;
  /** Absent or null when the provider did not rotate it: the old one stays. */
  refreshToken?: string | null;
  /** Absent or null when the provider did not say: used until it answers 401. */
  expiresAt?: string | null;
}

/** The connection has no refresh token (never connected, or its tokens were erased). */
export class NoRefreshTokenError extends Error {}

function expiresSoon(c: StoredCredentials, nowMs = Date.now()): boolean {
  if (!c.expiresAt) return false;
  const at = Date.parse(c.expiresAt);
  return Number.isNaN(at) || at - EXPIRY_MARGIN_MS <= nowMs;
}

/** The stored access token, unless missing, (nearly) expired, or the one the provider just refused. */
function usable(c: StoredCredentials | null, refused: string | null): c is UsableCredentials {
  return !!c?.accessToken && c.accessToken !== refused && !expiresSoon(c);
}

/**
 * Per-connection OAuth access tokens with rotating refresh tokens (Lockme, Stratech), sealed in
 * connections.credentials. A rotated refresh token stops the old one working, so one refresh at a time per
 * connection across all processes: a row lock on the connection, a re-read under it (another process may
 * have just refreshed), the provider's call and the rotated token saved in that same transaction. Within a
 * process, concurrent callers share one refresh instead of queueing on the lock. The refresh runs outside the
 * caller's handler AbortSignal, so a handler timing out mid-refresh cannot lose a rotated refresh token.
 */
@Injectable()
export class ConnectionTokensService {
  private readonly logger = new Logger('ConnectionTokens');
  private readonly refreshing = new Map<string, Promise<UsableCredentials>>();

  constructor(
    private readonly connections: ConnectionsService,
    private readonly metrics: MetricsService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * Valid credentials: the stored ones, or freshly refreshed with `refresh` when the access token is missing,
   * (nearly) expired, or is `refused` (the provider just answered 401 to it). Throws NoRefreshTokenError when
   * a refresh is needed and there is no refresh token; whatever `refresh` throws (a refused grant) passes on.
   */
  async access(connectionId: string, refresh: (refreshToken: string) => Promise<RefreshedTokens>, refused: string | null = null): Promise<UsableCredentials> {
    const current = await this.connections.getCredentials(connectionId);
    if (usable(current, refused)) return current;
    let running = this.refreshing.get(connectionId);
    if (!running) {
      running = this.startRefresh(connectionId, refresh, refused);
      this.refreshing.set(connectionId, running);
    }
    return this.waitUnlessAborted(running);
  }

  /**
   * Not under the caller's AbortSignal: once the provider has been asked it may have rotated the refresh
   * token, so the refresh runs to its commit even if the handler that started it is cut off (its outbound
   * calls get the refresh's own limit instead). Shared by every caller until it settles.
   */
  private startRefresh(connectionId: string, refresh: (refreshToken: string) => Promise<RefreshedTokens>, refused: string | null): Promise<UsableCredentials> {
    const eventId = handlerContext.getStore()?.eventId ?? 'token-refresh';
    const p = handlerContext
      .run({ eventId, signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS) }, () => this.refreshUnderLock(connectionId, refresh, refused))
      .finally(() => this.refreshing.delete(connectionId));
    // Every caller may have stopped waiting; a failure is theirs to report, never an unhandled rejection.
    p.catch(() => undefined);
    return p;
  }

  /** The caller stops waiting when its own handler signal fires; the refresh itself goes on. */
  private waitUnlessAborted<T>(p: Promise<T>): Promise<T> {
    const signal = handlerContext.getStore()?.signal;
    if (!signal) return p;
    if (signal.aborted) return Promise.reject(new RetryableError('aborted (handler timeout) while waiting for a token refresh'));
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new RetryableError('aborted (handler timeout) while waiting for a token refresh'));
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private refreshUnderLock(connectionId: string, refresh: (refreshToken: string) => Promise<RefreshedTokens>, refused: string | null): Promise<UsableCredentials> {
    return this.dataSource.transaction(async (m) => {
      // NO KEY UPDATE: serialises refreshes of this connection without blocking inserts that reference it.
      const [locked] = (await m.query(`SELECT provider FROM connections WHERE id = $1 FOR NO KEY UPDATE`, [connectionId])) as Array<{ provider: string }>;
      const current = await this.connections.getCredentials(connectionId, m);
      if (usable(current, refused)) return current;
      if (!current?.refreshToken) throw new NoRefreshTokenError('the connection has no refresh token (connect it again)');
      // The HTTP call runs while the lock is held, on purpose: a second refresh with the same (rotated)
      // refresh token would fail. It is not aborted when a caller gives up (startRefresh); if this commit
      // still failed after the provider rotated, the connection would have to be re-connected.
      const tokens = await refresh(current.refreshToken).catch((e: unknown) => {
        this.metrics.tokenRefreshFailures.inc({ provider: locked?.provider ?? 'unknown' });
        throw e;
      });
      const { expiresAt: _stale, ...kept } = current;
      const next: UsableCredentials = {
        ...kept,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken || current.refreshToken,
        ...(tokens.expiresAt ? { expiresAt: tokens.expiresAt } : {}),
      };
      await this.connections.saveCredentials(connectionId, next, m);
      this.logger.log({ connectionId, rotated: !!tokens.refreshToken && tokens.refreshToken !== current.refreshToken, expiresAt: next.expiresAt ?? null }, 'access token refreshed');
      return next;
    });
  }
}
