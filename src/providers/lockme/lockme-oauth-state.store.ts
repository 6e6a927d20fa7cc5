import { Injectable } from '@nestjs/common';
import { poolOf } from '../../database/leader-lock';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { sha256Hex } from '../../common/crypto.util';
import { STATE_TTL_MS } from './lockme-oauth-state';

/** Rows are kept this long after they were issued (so a replay inside it reads "already used"), then swept. */
const KEEP_MS = 60 * 60 * 1000;

export type StateTake =
  | { ok: true; connectionId: string }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' | 'other-browser' };

/**
 * The stored side of the connect flow's `state` (table oauth_states): one row per GET /connect/lockme, keyed by
 * the SHA-256 of the state's nonce, with the SHA-256 of the browser cookie set with the redirect. A callback
 * takes the row once, within STATE_TTL_MS of its issue (by the database clock), and when it carries the cookie
 * only with the value set;
 * nothing secret is stored. Any process can take any callback: the row is in PostgreSQL.
 */
@Injectable()
export class LockmeOAuthStateStore {
  private readonly pool: Pool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.pool = poolOf(dataSource);
  }

  async issue(connectionId: string, nonce: string, browserSecret: string): Promise<void> {
    await this.pool.query(`DELETE FROM oauth_states WHERE created_at < now() - make_interval(secs => $1)`, [KEEP_MS / 1000]);
    await this.pool.query(
      `INSERT INTO oauth_states (nonce_hash, connection_id, browser_hash) VALUES ($1, $2, $3)`,
      [sha256Hex(nonce), connectionId, sha256Hex(browserSecret)],
    );
  }

  /**
   * Marks the state used, in one statement, only if it is unused, unexpired and presented by the browser that
   * started it: two callbacks racing with one state cannot both pass, and a callback from another browser
   * does not use it up.
   */
  async take(nonce: string, browserSecret: string | null): Promise<StateTake> {
    const nonceHash = sha256Hex(nonce);
    const browserHash = browserSecret === null ? null : sha256Hex(browserSecret);
    const ttl = STATE_TTL_MS / 1000;
    const { rows: taken } = await this.pool.query<{ connection_id: string }>(
      `UPDATE oauth_states SET used_at = now()
        WHERE nonce_hash = $1 AND used_at IS NULL AND ($2::text IS NULL OR browser_hash = $2) AND created_at > now() - make_interval(secs => $3)
        RETURNING connection_id`,
      [nonceHash, browserHash, ttl],
    );
    if (taken[0]) return { ok: true, connectionId: taken[0].connection_id };
    // Not taken: say why (the row cannot become takeable again, except by giveBack).
    const { rows: [row] } = await this.pool.query<{ used: boolean; expired: boolean; same_browser: boolean }>(
      `SELECT used_at IS NOT NULL AS used, created_at <= now() - make_interval(secs => $2) AS expired, ($3::text IS NULL OR browser_hash = $3) AS same_browser
         FROM oauth_states WHERE nonce_hash = $1`,
      [nonceHash, ttl, browserHash],
    );
    if (!row) return { ok: false, reason: 'unknown' };
    if (!row.same_browser) return { ok: false, reason: 'other-browser' };
    if (row.used) return { ok: false, reason: 'used' };
    return { ok: false, reason: row.expired ? 'expired' : 'unknown' };
  }

  /** Makes a taken state usable again: the token endpoint could not be reached, so nothing was exchanged. */
  async giveBack(nonce: string): Promise<void> {
    await this.pool.query(`UPDATE oauth_states SET used_at = NULL WHERE nonce_hash = $1`, [sha256Hex(nonce)]);
  }
}
