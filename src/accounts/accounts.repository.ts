import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AccountEntity } from './entities/account.entity';

export interface AccountLocationRow {
  account_id: string;
  id: string;
  name: string | null;
  timezone: string | null;
}

/** Accounts and the listings (locations) they own. */
@Injectable()
export class AccountsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(AccountEntity);
  }

  async create(row: Pick<AccountEntity, 'name' | 'externalId'>): Promise<AccountEntity> {
    const saved = await this.repo.save(this.repo.create(row));
    return (await this.repo.findOneBy({ id: saved.id }))!;
  }

  findById(id: string): Promise<AccountEntity | null> {
    return this.repo.findOneBy({ id });
  }

  async exists(id: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    return (await manager.query(`SELECT 1 FROM accounts WHERE id = $1`, [id])).length > 0;
  }

  async rename(id: string, name: string): Promise<void> {
    await this.repo.update({ id }, { name });
  }

  list(after: [string, string] | null, limit: number): Promise<AccountEntity[]> {
    const qb = this.repo.createQueryBuilder('a').orderBy('a.created_at').addOrderBy('a.id').limit(limit);
    if (after) qb.where('(a.created_at, a.id) > (:t::timestamptz, :id::uuid)', { t: after[0], id: after[1] });
    return qb.getMany();
  }

  /**
   * The listing becomes the account's (created if new). Another account's listing is left alone: no row comes
   * back, and the caller answers 409.
   */
  async claimLocation(accountId: string, locationId: string, fields: { name?: string; timezone?: string }, manager: EntityManager = this.dataSource.manager):
    Promise<{ row: AccountLocationRow; created: boolean } | null> {
    const rows: Array<AccountLocationRow & { created: boolean }> = await manager.query(
      `INSERT INTO locations (id, name, timezone, account_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET name = COALESCE(EXCLUDED.name, locations.name), timezone = COALESCE(EXCLUDED.timezone, locations.timezone),
              account_id = EXCLUDED.account_id,
              updated_at = CASE WHEN (locations.name, locations.timezone, locations.account_id)
                                     IS DISTINCT FROM (COALESCE(EXCLUDED.name, locations.name), COALESCE(EXCLUDED.timezone, locations.timezone), EXCLUDED.account_id)
                                THEN now() ELSE locations.updated_at END
        WHERE locations.account_id IS NULL OR locations.account_id = EXCLUDED.account_id
       RETURNING account_id, id, name, timezone, (xmax = 0) AS created`,
      [locationId, fields.name ?? null, fields.timezone ?? null, accountId],
    );
    if (!rows[0]) return null;
    const { created, ...row } = rows[0];
    return { row, created };
  }

  async locationOwner(locationId: string, manager: EntityManager = this.dataSource.manager): Promise<{ accountId: string | null } | null> {
    // A read, not a lock: the mapping that follows claims the listing atomically (claimLocation) and answers 409 if it moved.
    const [row] = await manager.query(`SELECT account_id FROM locations WHERE id = $1`, [locationId]);
    return row ? { accountId: row.account_id } : null;
  }

  listLocations(accountId: string, after: string | null, limit: number): Promise<AccountLocationRow[]> {
    return this.dataSource.query(
      `SELECT account_id, id, name, timezone FROM locations WHERE account_id = $1 ${after !== null ? 'AND id > $3' : ''} ORDER BY id LIMIT $2`,
      after !== null ? [accountId, limit, after] : [accountId, limit]);
  }

  /** 'released', 'mapped' (a connection maps it: kept) or 'absent' (not this account's). */
  releaseLocation(accountId: string, locationId: string): Promise<'released' | 'mapped' | 'absent'> {
    return this.dataSource.transaction(async (m) => {
      const [row] = await m.query(`SELECT 1 FROM locations WHERE id = $1 AND account_id = $2 FOR NO KEY UPDATE`, [locationId, accountId]);
      if (!row) return 'absent';
      const mapped = await m.query(`SELECT 1 FROM location_mappings WHERE location_id = $1`, [locationId]);
      if (mapped.length > 0) return 'mapped';
      await m.query(`UPDATE locations SET account_id = NULL, updated_at = now() WHERE id = $1`, [locationId]);
      return 'released';
    });
  }
}
