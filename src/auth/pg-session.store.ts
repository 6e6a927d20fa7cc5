import { SessionData, Store } from 'express-session';
import type { DataSource } from 'typeorm';
import { sha256Hex } from '../common/crypto.util';

type Callback = (err?: unknown) => void;

/**
 * express-session's store in PostgreSQL, so any process serves any session. The cookie's session id is kept
 * only as its SHA-256 (connect-pg-simple stores it in clear: whoever reads the table could ride every session).
 * `user_id` lets deleting a user end its sessions at once.
 */
export class PgSessionStore extends Store {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  override get(sid: string, cb: (err: unknown, session?: SessionData | null) => void): void {
    this.dataSource.query(`SELECT data FROM sessions WHERE sid_hash = $1 AND expires_at > now()`, [sha256Hex(sid)])
      .then((rows: Array<{ data: SessionData }>) => cb(null, rows[0]?.data ?? null), (e) => cb(e));
  }

  override set(sid: string, session: SessionData, cb?: Callback): void {
    const userId = session.auth?.kind === 'user' ? session.auth.userId : null;
    this.dataSource.query(
      `INSERT INTO sessions (sid_hash, data, expires_at, user_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (sid_hash) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at, user_id = EXCLUDED.user_id`,
      [sha256Hex(sid), JSON.stringify(session), expiry(session), userId],
    ).then(() => cb?.(), (e) => cb?.(e));
  }

  override destroy(sid: string, cb?: Callback): void {
    this.dataSource.query(`DELETE FROM sessions WHERE sid_hash = $1`, [sha256Hex(sid)]).then(() => cb?.(), (e) => cb?.(e));
  }

  /** Called on every request: writes only when the expiry moved by more than a minute. */
  override touch(sid: string, session: SessionData, cb?: Callback): void {
    this.dataSource.query(
      `UPDATE sessions SET expires_at = $2 WHERE sid_hash = $1 AND expires_at < $2::timestamptz - interval '1 minute'`,
      [sha256Hex(sid), expiry(session)],
    ).then(() => cb?.(), (e) => cb?.(e));
  }
}

function expiry(session: SessionData): Date {
  const expires = session.cookie?.expires;
  return expires ? new Date(expires) : new Date(Date.now() + (session.cookie?.maxAge ?? 0));
}
