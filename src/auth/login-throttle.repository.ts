import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export const LOGIN_WINDOW_S = 60;
export const LOGIN_MAX_FAILURES = 5;

/**
 * Login attempts per e-mail in a fixed one-minute window, counted in PostgreSQL (every process sees the same
 * count). An attempt is counted *before* its password is checked, in one statement, so concurrent guesses cannot
 * all slip under the limit; a successful login clears the count.
 */
@Injectable()
export class LoginThrottleRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Counts this attempt; answers how many the window holds now and the seconds until it ends. */
  async countAttempt(emailKey: string): Promise<{ attempts: number; retryAfterS: number }> {
    const [row] = await this.dataSource.query(
      `INSERT INTO login_failures AS f (email_key, window_started_at, failures) VALUES ($1, now(), 1)
       ON CONFLICT (email_key) DO UPDATE SET
         failures = CASE WHEN f.window_started_at > now() - make_interval(secs => $2) THEN f.failures + 1 ELSE 1 END,
         window_started_at = CASE WHEN f.window_started_at > now() - make_interval(secs => $2) THEN f.window_started_at ELSE now() END
       RETURNING failures, ceil(extract(epoch FROM f.window_started_at + make_interval(secs => $2) - now()))::int AS retry_after`,
      [emailKey, LOGIN_WINDOW_S],
    );
    return { attempts: row.failures, retryAfterS: Math.max(1, row.retry_after) };
  }

  async clear(emailKey: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM login_failures WHERE email_key = $1`, [emailKey]);
  }

  /** Housekeeping: windows that ended. */
  async deleteEnded(): Promise<number> {
    const [, n] = (await this.dataSource.query(
      `DELETE FROM login_failures WHERE window_started_at < now() - make_interval(secs => $1)`, [LOGIN_WINDOW_S])) as [unknown[], number];
    return n;
  }
}
