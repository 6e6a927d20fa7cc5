import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiKeyEntity } from './entities/api-key.entity';
import type { Scope } from './scopes';

export interface StoredKey {
  id: string;
  accountId: string | null;
  scopes: Scope[];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(ApiKeyEntity);
  }

  async create(row: Pick<ApiKeyEntity, 'name' | 'accountId' | 'scopes' | 'prefix' | 'keyHash' | 'expiresAt'>): Promise<ApiKeyEntity> {
    const saved = await this.repo.save(this.repo.create(row));
    return (await this.repo.findOneBy({ id: saved.id }))!;
  }

  /** Ordered by (created_at, id) for keyset pagination. */
  list(after: [string, string] | null, limit: number): Promise<ApiKeyEntity[]> {
    const qb = this.repo.createQueryBuilder('k').orderBy('k.created_at').addOrderBy('k.id').limit(limit);
    if (after) qb.where('(k.created_at, k.id) > (:t::timestamptz, :id::uuid)', { t: after[0], id: after[1] });
    return qb.getMany();
  }

  /** The deleted key's hash, so this process can drop it from its cache at once. */
  async delete(id: string): Promise<string | null> {
    // TypeORM answers a DELETE with [rows, affected].
    const [rows] = (await this.dataSource.query(`DELETE FROM api_keys WHERE id = $1 RETURNING key_hash`, [id])) as [Array<{ key_hash: string }>, number];
    return rows[0]?.key_hash ?? null;
  }

  async findByHash(keyHash: string): Promise<StoredKey | null> {
    const [row] = await this.dataSource.query(
      `SELECT id, account_id, scopes, expires_at, last_used_at FROM api_keys WHERE key_hash = $1`, [keyHash]);
    return row ? { id: row.id, accountId: row.account_id, scopes: row.scopes, expiresAt: row.expires_at, lastUsedAt: row.last_used_at } : null;
  }

  /** Skips the write when another process touched the key recently: one UPDATE per key per half minute at most. */
  async touch(id: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '30 seconds')`, [id]);
  }
}
