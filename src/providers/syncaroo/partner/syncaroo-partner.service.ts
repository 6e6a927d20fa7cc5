import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccountsRepository } from '../../../accounts/accounts.repository';
import { EVERY_ACCOUNT } from '../../../auth/principal';
import { DomainError } from '../../../common/domain.error';
import { ConnectionsService } from '../../../connections/connections.service';
import type { StoredToken } from './syncaroo-grants.repository';
import { SyncarooGrantsRepository } from './syncaroo-grants.repository';

export interface PartnerLocation {
  id: string;
  name: string | null;
  timezone: string | null;
}

const MAX_LOCATIONS = 5000;

/** check_connection and the listings Syncaroo maps (CONTRACT 9.3, 9.4), for a token's account. */
@Injectable()
export class SyncarooPartnerService {
  private readonly logger = new Logger('SyncarooPartner');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly accounts: AccountsRepository,
    private readonly connections: ConnectionsService,
    private readonly grants: SyncarooGrantsRepository,
  ) {}

  locations(accountId: string): Promise<PartnerLocation[]> {
    return this.dataSource.query(
      `SELECT id, name, timezone FROM locations WHERE account_id = $1 ORDER BY id LIMIT ${MAX_LOCATIONS}`, [accountId]);
  }

  async accountSummary(accountId: string): Promise<{ id: string; name: string }> {
    const account = (await this.accounts.findById(accountId))!;
    return { id: account.id, name: account.name };
  }

  /**
   * The first call with a connectionId binds it to the token's account: a new active Syncaroo connection, or one
   * of no account that joins (with the listings it maps). Another account's → 409 `connection-bound-elsewhere`.
   */
  async bind(token: StoredToken, externalId: string): Promise<string> {
    const existing = await this.connections.findByExternalId('syncaroo', externalId);
    let connectionId: string;
    if (!existing) {
      try {
        connectionId = (await this.connections.create(EVERY_ACCOUNT, { provider: 'syncaroo', externalId, accountId: token.accountId })).id;
      } catch (e) {
        // Two check_connections at once: the other created it; bind to what is there now.
        if (e instanceof DomainError && e.status === 409) return this.bind(token, externalId);
        throw e;
      }
    } else if (existing.accountId === null || existing.accountId === token.accountId) {
      connectionId = existing.id;
      if (existing.accountId === null || existing.status !== 'active') {
        await this.connections.update(EVERY_ACCOUNT, existing.id, { accountId: token.accountId, ...(existing.status !== 'active' ? { status: 'active' } : {}) }, { reactivateRevoked: true });
      }
    } else {
      throw new DomainError('connection-bound-elsewhere', 409, 'this Syncaroo connection belongs to another account');
    }
    await this.dataSource.transaction((m) => this.grants.bindConnection(token.grantId, connectionId, m));
    this.logger.log({ accountId: token.accountId, connectionId, externalId }, 'Syncaroo connection bound');
    return connectionId;
  }
}
