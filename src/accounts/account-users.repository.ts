import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccountUserEntity } from './entities/account-user.entity';

export interface LoginCandidate {
  id: string;
  accountId: string;
  email: string;
  passwordHash: string;
}

@Injectable()
export class AccountUsersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(AccountUserEntity);
  }

  async create(row: Pick<AccountUserEntity, 'accountId' | 'email' | 'emailKey' | 'passwordHash'>): Promise<AccountUserEntity> {
    const saved = await this.repo.save(this.repo.create(row));
    return (await this.repo.findOneBy({ id: saved.id }))!;
  }

  listOfAccount(accountId: string, after: [string, string] | null, limit: number): Promise<AccountUserEntity[]> {
    const qb = this.repo.createQueryBuilder('u').where('u.account_id = :accountId', { accountId })
      .orderBy('u.created_at').addOrderBy('u.id').limit(limit);
    if (after) qb.andWhere('(u.created_at, u.id) > (:t::timestamptz, :id::uuid)', { t: after[0], id: after[1] });
    return qb.getMany();
  }

  async delete(id: string): Promise<boolean> {
    // TypeORM answers a DELETE with [rows, affected].
    const [, affected] = (await this.dataSource.query(`DELETE FROM account_users WHERE id = $1`, [id])) as [unknown[], number];
    return affected > 0;
  }

  async findForLogin(emailKey: string): Promise<LoginCandidate | null> {
    const [row] = await this.dataSource.query(
      `SELECT id, account_id, email, password_hash FROM account_users WHERE email_key = $1`, [emailKey]);
    return row ? { id: row.id, accountId: row.account_id, email: row.email, passwordHash: row.password_hash } : null;
  }
}
