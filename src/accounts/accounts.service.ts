import { Injectable, Logger } from '@nestjs/common';
import { conflict, notFound } from '../common/domain.error';
import { decodeCursor, decodeTimeIdCursor, Page, PageQuery, toPage } from '../common/pagination';
import { isUniqueViolation } from '../database/database-errors';
import { SessionsService } from '../auth/sessions.service';
import { AccountUsersRepository } from './account-users.repository';
import { toAccountLocationView, toAccountView, toUserView, emailKey } from './accounts.mapper';
import { AccountsRepository } from './accounts.repository';
import type { AccountLocationView, AccountView, CreateAccountDto, CreateUserDto, PutAccountLocationDto, UpdateAccountDto, UserView } from './dto/account.dto';
import { hashPassword } from './passwords';

/** Admin API of accounts, their listings and their users (scope `admin`). */
@Injectable()
export class AccountsService {
  private readonly logger = new Logger('Accounts');

  constructor(
    private readonly accounts: AccountsRepository,
    private readonly users: AccountUsersRepository,
    private readonly sessions: SessionsService,
  ) {}

  async create(dto: CreateAccountDto): Promise<AccountView> {
    try {
      const account = await this.accounts.create({ name: dto.name, externalId: dto.externalId ?? null });
      this.logger.log({ accountId: account.id }, 'account created');
      return toAccountView(account);
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`an account with externalId ${JSON.stringify(dto.externalId)} already exists`);
      throw e;
    }
  }

  async list(q: PageQuery): Promise<Page<AccountView>> {
    const limit = q.limit ?? 100;
    const rows = await this.accounts.list(decodeTimeIdCursor(q.cursor), limit + 1);
    return toPage(rows, limit, toAccountView, (a) => [a.createdAt.toISOString(), a.id]);
  }

  async get(id: string): Promise<AccountView> {
    const account = await this.accounts.findById(id);
    if (!account) throw notFound('account', id);
    return toAccountView(account);
  }

  async update(id: string, dto: UpdateAccountDto): Promise<AccountView> {
    await this.get(id);
    if (dto.name !== undefined) await this.accounts.rename(id, dto.name);
    return this.get(id);
  }

  async putLocation(id: string, locationId: string, dto: PutAccountLocationDto): Promise<{ view: AccountLocationView; created: boolean }> {
    await this.get(id);
    const claimed = await this.accounts.claimLocation(id, locationId, dto);
    if (!claimed) throw conflict(`location ${JSON.stringify(locationId)} belongs to another account`);
    return { view: toAccountLocationView(claimed.row), created: claimed.created };
  }

  async listLocations(id: string, q: PageQuery): Promise<Page<AccountLocationView>> {
    await this.get(id);
    const limit = q.limit ?? 100;
    const [after] = (decodeCursor(q.cursor, ['string']) ?? [null]) as [string | null];
    const rows = await this.accounts.listLocations(id, after, limit + 1);
    return toPage(rows, limit, toAccountLocationView, (l) => [l.id]);
  }

  async removeLocation(id: string, locationId: string): Promise<void> {
    await this.get(id);
    const outcome = await this.accounts.releaseLocation(id, locationId);
    if (outcome === 'absent') throw notFound('location of account', locationId);
    if (outcome === 'mapped') throw conflict(`location ${JSON.stringify(locationId)} is mapped to a connection; unmap it first`);
  }

  async createUser(accountId: string, dto: CreateUserDto): Promise<UserView> {
    await this.get(accountId);
    const email = dto.email.trim();
    try {
      const user = await this.users.create({ accountId, email, emailKey: emailKey(email), passwordHash: await hashPassword(dto.password) });
      this.logger.log({ accountId, userId: user.id }, 'user created');
      return toUserView(user);
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict('a user with this e-mail exists');
      throw e;
    }
  }

  async listUsers(accountId: string, q: PageQuery): Promise<Page<UserView>> {
    await this.get(accountId);
    const limit = q.limit ?? 100;
    const rows = await this.users.listOfAccount(accountId, decodeTimeIdCursor(q.cursor), limit + 1);
    return toPage(rows, limit, toUserView, (u) => [u.createdAt.toISOString(), u.id]);
  }

  async deleteUser(id: string): Promise<void> {
    if (!(await this.users.delete(id))) throw notFound('user', id);
    await this.sessions.endSessionsOfUser(id);
    this.logger.log({ userId: id }, 'user deleted; its sessions ended');
  }
}
