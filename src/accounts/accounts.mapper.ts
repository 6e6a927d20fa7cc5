import type { AccountLocationView, AccountView, UserView } from './dto/account.dto';
import type { AccountUserEntity } from './entities/account-user.entity';
import type { AccountEntity } from './entities/account.entity';

export const toAccountView = (a: AccountEntity): AccountView => ({
  id: a.id, name: a.name, externalId: a.externalId, createdAt: a.createdAt.toISOString(), updatedAt: a.updatedAt.toISOString(),
});

export const toUserView = (u: AccountUserEntity): UserView => ({
  id: u.id, accountId: u.accountId, email: u.email, createdAt: u.createdAt.toISOString(),
});

export const toAccountLocationView = (l: { account_id: string; id: string; name: string | null; timezone: string | null }): AccountLocationView => ({
  accountId: l.account_id, locationId: l.id, name: l.name, timezone: l.timezone,
});

/** E-mail addresses are unique case-insensitively; the key is what the unique index holds. */
export const emailKey = (email: string) => email.trim().toLowerCase();
