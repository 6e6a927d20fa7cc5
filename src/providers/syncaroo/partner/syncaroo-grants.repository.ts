import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface GrantOwner {
  grantId: string;
  accountId: string;
  userId: string | null;
  scope: string | null;
}

export interface StoredCode extends GrantOwner {
  redirectUri: string;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  expiresAt: Date;
  usedAt: Date | null;
}

export interface StoredToken extends GrantOwner {
  tokenId: string;
  connectionId: string | null;
  accessExpiresAt: Date;
  refreshExpiresAt: Date | null;
}

const OWNER = `g.id AS grant_id, g.account_id, g.user_id, g.scope`;
const owner = (r: Record<string, any>): GrantOwner => ({ grantId: r.grant_id, accountId: r.account_id, userId: r.user_id, scope: r.scope });

/** Grants, codes and tokens of Syncaroo's authorization (tier 2); every secret is looked up by its SHA-256. */
@Injectable()
export class SyncarooGrantsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A grant and its code in one transaction. */
  async createGrantWithCode(g: { accountId: string; userId: string | null; scope: string | null }, code: { hash: string; redirectUri: string; challenge: string | null; method: string | null; expiresAt: Date }): Promise<string> {
    return this.dataSource.transaction(async (m) => {
      const [row] = await m.query(`INSERT INTO syncaroo_grants (account_id, user_id, scope) VALUES ($1, $2, $3) RETURNING id`, [g.accountId, g.userId, g.scope]);
      await m.query(
        `INSERT INTO syncaroo_auth_codes (code_hash, grant_id, redirect_uri, code_challenge, code_challenge_method, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [code.hash, row.id, code.redirectUri, code.challenge, code.method, code.expiresAt]);
      return row.id as string;
    });
  }

  async findCode(hash: string): Promise<StoredCode | null> {
    const [r] = await this.dataSource.query(
      `SELECT ${OWNER}, c.redirect_uri, c.code_challenge, c.code_challenge_method, c.expires_at, c.used_at
         FROM syncaroo_auth_codes c JOIN syncaroo_grants g ON g.id = c.grant_id
        WHERE c.code_hash = $1 AND g.revoked_at IS NULL`, [hash]);
    return r ? { ...owner(r), redirectUri: r.redirect_uri, codeChallenge: r.code_challenge, codeChallengeMethod: r.code_challenge_method, expiresAt: r.expires_at, usedAt: r.used_at } : null;
  }

  /** Single use: true for the one call that marks it used. */
  async useCode(hash: string): Promise<boolean> {
    const [, n] = (await this.dataSource.query(`UPDATE syncaroo_auth_codes SET used_at = now() WHERE code_hash = $1 AND used_at IS NULL`, [hash])) as [unknown[], number];
    return n > 0;
  }

  async saveToken(t: { grantId: string; accessHash: string; accessExpiresAt: Date; refreshHash: string | null; refreshExpiresAt: Date | null }): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO syncaroo_tokens (grant_id, access_hash, access_expires_at, refresh_hash, refresh_expires_at)
       SELECT $1, $2, $3, $4, $5 FROM syncaroo_grants WHERE id = $1 AND revoked_at IS NULL`,
      [t.grantId, t.accessHash, t.accessExpiresAt, t.refreshHash, t.refreshExpiresAt]);
  }

  /** A live (unrevoked, grant unrevoked) token by its access or refresh hash; expiry is the caller's check. */
  async findToken(kind: 'access' | 'refresh', hash: string): Promise<StoredToken | null> {
    const column = kind === 'access' ? 't.access_hash' : 't.refresh_hash';
    const [r] = await this.dataSource.query(
      `SELECT ${OWNER}, g.connection_id, t.id AS token_id, t.access_expires_at, t.refresh_expires_at
         FROM syncaroo_tokens t JOIN syncaroo_grants g ON g.id = t.grant_id
        WHERE ${column} = $1 AND t.revoked_at IS NULL AND g.revoked_at IS NULL`, [hash]);
    return r ? { ...owner(r), tokenId: r.token_id, connectionId: r.connection_id, accessExpiresAt: r.access_expires_at, refreshExpiresAt: r.refresh_expires_at } : null;
  }

  /** Refresh rotation: the used pair is dead from now on. */
  async revokeTokenRow(tokenId: string): Promise<boolean> {
    const [, n] = (await this.dataSource.query(`UPDATE syncaroo_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [tokenId])) as [unknown[], number];
    return n > 0;
  }

  /**
   * The whole grant: every token of it, past and future (a code replayed, or RFC 7009 revocation of a refresh
   * token). Answers the connection bound through it, if any.
   */
  async revokeGrant(grantId: string, manager: EntityManager = this.dataSource.manager): Promise<{ connectionId: string | null }> {
    const [rows] = (await manager.query(
      `UPDATE syncaroo_grants SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING connection_id`, [grantId])) as [Array<{ connection_id: string | null }>, number];
    await manager.query(`UPDATE syncaroo_tokens SET revoked_at = now() WHERE grant_id = $1 AND revoked_at IS NULL`, [grantId]);
    return { connectionId: rows[0]?.connection_id ?? null };
  }

  async grantOfCode(hash: string): Promise<string | null> {
    const [r] = await this.dataSource.query(`SELECT grant_id FROM syncaroo_auth_codes WHERE code_hash = $1`, [hash]);
    return r?.grant_id ?? null;
  }

  async bindConnection(grantId: string, connectionId: string, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE syncaroo_grants SET connection_id = $2 WHERE id = $1`, [grantId, connectionId]);
  }

  /** Housekeeping: codes past their life (a replay of one would be refused as unknown anyway). */
  async deleteExpiredCodes(): Promise<number> {
    const [, n] = (await this.dataSource.query(`DELETE FROM syncaroo_auth_codes WHERE expires_at < now() - interval '1 day'`)) as [unknown[], number];
    return n;
  }
}
