import { createHmac } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { isUniqueViolation } from '../database/database-errors';
import { AccountsRepository } from '../accounts/accounts.repository';
import { EVERY_ACCOUNT, Tenant } from '../auth/principal';
import { sha256Hex } from '../common/crypto.util';
import { badRequest, conflict, DomainError, notFound } from '../common/domain.error';
import { decodeCursor, decodeTimeIdCursor, Page, toPage } from '../common/pagination';
import { SecretBox } from '../common/secret-box';
import { AppConfig } from '../config/app-config';
import { EventsService } from '../ingestion/events.service';
import { holdCause } from '../ingestion/provider-handler';
import { LocationsRepository } from '../inventory/locations.repository';
import { LosRepository } from '../inventory/los.repository';
import { ResourcesRepository } from '../inventory/resources.repository';
import { toConnectionView, toMappingView } from './connection.mapper';
import { ConnectionsRepository } from './connections.repository';
import type { ConnectionListQuery, ConnectionView, CreateConnectionDto, CreateMappingDto, CredentialsDto, MappingView, UpdateConnectionDto } from './dto/connection.dto';
import { ConnectionEntity, ConnectionStatus, Provider } from './entities/connection.entity';
import { LocationMappingEntity } from './entities/location-mapping.entity';
import type { PageQuery } from '../common/pagination';

/** Provider credentials as stored (sealed) per connection. */
export interface StoredCredentials {
  accessToken?: string;
  refreshToken?: string;
  /** ISO 8601 */
  expiresAt?: string;
}

@Injectable()
export class ConnectionsService {
  private readonly logger = new Logger('Connections');

  constructor(
    private readonly repo: ConnectionsRepository,
    private readonly locations: LocationsRepository,
    private readonly resources: ResourcesRepository,
    private readonly los: LosRepository,
    private readonly events: EventsService,
    private readonly box: SecretBox,
    private readonly config: AppConfig,
    private readonly accounts: AccountsRepository,
  ) {}

  // ---- admin API ----

  async create(tenant: Tenant, dto: CreateConnectionDto): Promise<ConnectionView> {
    this.checkProviderRules(dto.provider, dto.externalId, dto.credentials);
    const accountId = await this.accountFor(tenant, dto.accountId);
    const hasTokens = !!dto.credentials?.refreshToken || !!dto.credentials?.accessToken;
    const status: ConnectionStatus = dto.provider === 'syncaroo' || hasTokens ? 'active' : 'pending';
    let saved: ConnectionEntity;
    try {
      saved = await this.repo.manager.transaction(async (m) => {
        const entity = m.getRepository(ConnectionEntity).create({
          provider: dto.provider,
          externalId: dto.externalId ?? null,
          name: dto.name ?? null,
          accountId,
          status,
          credentials: dto.credentials ? this.box.seal(this.normaliseCredentials(dto.credentials)) : null,
        });
        const row = await m.getRepository(ConnectionEntity).save(entity);
        if (row.provider === 'lockme') {
          await m.getRepository(ConnectionEntity).update({ id: row.id }, { webhookKeyHash: sha256Hex(this.lockmeWebhookKey(row.id)) });
        }
        return row;
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`a ${dto.provider} connection with externalId ${JSON.stringify(dto.externalId)} already exists`);
      throw e;
    }
    this.logger.log({ connectionId: saved.id, provider: saved.provider, status: saved.status }, 'connection created');
    await this.events.releaseCauses(connectionCauses(saved));
    return this.view((await this.repo.findById(saved.id))!);
  }

  async list(tenant: Tenant, q: ConnectionListQuery): Promise<Page<ConnectionView>> {
    const limit = q.limit ?? 100;
    const after = decodeTimeIdCursor(q.cursor);
    const rows = await this.repo.list(tenant, { provider: q.provider, status: q.status, after: after ?? undefined }, limit + 1);
    return toPage(rows, limit, (c) => this.view(c), (c) => [c.createdAt.toISOString(), c.id]);
  }

  async get(tenant: Tenant, id: string): Promise<ConnectionView> {
    return this.view(await this.require(tenant, id));
  }

  /** The connection if the tenant may see it; null otherwise (another account's is as absent as a missing one). */
  findVisible(tenant: Tenant, id: string): Promise<ConnectionEntity | null> {
    return this.repo.findVisible(tenant, id);
  }

  /** `reactivateRevoked`: a new authorization at the provider (Syncaroo tier 2's check_connection) brings a revoked connection back. */
  async update(tenant: Tenant, id: string, dto: UpdateConnectionDto, options: { reactivateRevoked?: boolean } = {}): Promise<ConnectionView> {
    const current = await this.require(tenant, id);
    if (dto.accountId !== undefined && dto.accountId !== current.accountId) await this.reassign(current, await this.accountFor(tenant, dto.accountId));
    if (current.status === 'revoked' && !options.reactivateRevoked && (dto.credentials || dto.status !== undefined)) {
      // The organization withdrew its consent at the provider; only a new authorization there brings it back.
      throw conflict('a revoked connection is re-activated by the provider (a new authorization), not by the admin API');
    }
    if (dto.credentials) this.checkProviderRules(current.provider, current.externalId ?? undefined, dto.credentials);
    const patch: Partial<ConnectionEntity> = {};
    if (dto.name !== undefined) patch.name = dto.name;
    if (dto.credentials) patch.credentials = this.box.seal(this.normaliseCredentials(dto.credentials));
    if (dto.status !== undefined && dto.status !== current.status) {
      if (dto.status === 'active' && current.provider !== 'syncaroo' && !dto.credentials && !(await this.repo.readCredentials(id))) {
        throw conflict('the connection has no credentials yet: connect it first or send credentials');
      }
      patch.status = dto.status;
    } else if (dto.credentials && current.status === 'pending') {
      patch.status = 'active';
    }
    if (Object.keys(patch).length > 0) await this.repo.manager.getRepository(ConnectionEntity).update({ id }, patch);
    const updated = (await this.repo.findById(id))!;
    if (updated.status === 'active' && (patch.status === 'active' || patch.credentials)) await this.events.releaseCauses(connectionCauses(updated));
    return this.view(updated);
  }

  async addMapping(tenant: Tenant, connectionId: string, dto: CreateMappingDto): Promise<MappingView> {
    const connection = await this.require(tenant, connectionId);
    try {
      const mapping = await this.repo.manager.transaction(async (m) => {
        const existing = await this.repo.findMapping(dto.locationId, m);
        if (existing && existing.connectionId !== connectionId) {
          throw conflict(`location ${JSON.stringify(dto.locationId)} is already mapped to another connection`);
        }
        if (dto.externalId) {
          const sameExternal = await m.getRepository(LocationMappingEntity).findOneBy({ connectionId, externalId: dto.externalId });
          if (sameExternal && sameExternal.locationId !== dto.locationId) {
            throw conflict(`externalId ${JSON.stringify(dto.externalId)} is already mapped to location ${JSON.stringify(sameExternal.locationId)} of this connection`);
          }
        }
        await m.query(
          `INSERT INTO location_mappings (location_id, connection_id, external_id) VALUES ($1, $2, $3)
           ON CONFLICT (location_id) DO UPDATE SET external_id = COALESCE(EXCLUDED.external_id, location_mappings.external_id)
           WHERE location_mappings.connection_id = EXCLUDED.connection_id`,
          [dto.locationId, connectionId, dto.externalId ?? null],
        );
        const row = await this.repo.findMapping(dto.locationId, m);
        if (!row || row.connectionId !== connectionId) throw conflict(`location ${JSON.stringify(dto.locationId)} is already mapped to another connection`);
        // A connection of an account maps only that account's listings; one of no account becomes its.
        if (connection.accountId && !(await this.accounts.claimLocation(connection.accountId, dto.locationId, {}, m))) {
          throw conflict(`location ${JSON.stringify(dto.locationId)} belongs to another account`);
        }
        await this.locations.upsertOwned(dto.locationId, { provider: connection.provider, connectionId, externalId: row.externalId }, { name: dto.name, timezone: dto.timezone }, m);
        return row;
      });
      this.logger.log({ connectionId, locationId: dto.locationId }, 'location mapped');
      await this.events.releaseCauses([...connectionCauses(connection), holdCause.location(dto.locationId)]);
      return toMappingView(mapping);
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`location ${JSON.stringify(dto.locationId)} is already mapped to another connection`);
      throw e;
    }
  }

  async listMappings(tenant: Tenant, connectionId: string, q: PageQuery): Promise<Page<MappingView>> {
    await this.require(tenant, connectionId);
    const limit = q.limit ?? 100;
    const [after] = (decodeCursor(q.cursor, ['string']) ?? [undefined]) as [string | undefined];
    const rows = await this.repo.listMappings(connectionId, after, limit + 1);
    return toPage(rows, limit, toMappingView, (m) => [m.locationId]);
  }

  /**
   * Unmapping retires the connection's data in the location in the same transaction (CONTRACT.md section 6
   * v2): its resources there become `removed`, its LOS rows and loaded datasets there are deleted, so a
   * connection mapped to the location afterwards starts clean. The location's exclusive mapping lock, taken first,
   * waits for every write that holds the mapping (`holdsMapping`, the Syncaroo resource upsert) and makes later ones
   * see the location unmapped.
   */
  async removeMapping(tenant: Tenant, connectionId: string, locationId: string): Promise<void> {
    await this.require(tenant, connectionId);
    // A location this connection does not map is refused before its lock is asked for: queueing for it would hold
    // up the writes of the connection (perhaps another account's) that does map it.
    const mapped = async (m?: EntityManager) => (await this.repo.findMapping(locationId, m))?.connectionId === connectionId;
    if (!(await mapped())) throw notFound('mapping of location', locationId);
    const retired = await this.repo.manager.transaction(async (m) => {
      await this.repo.lockMappingChange(locationId, m);
      if (!(await mapped(m))) throw notFound('mapping of location', locationId);
      await m.getRepository(LocationMappingEntity).delete({ locationId, connectionId });
      await this.locations.clearOwner(locationId, connectionId, m);
      const resources = await this.resources.retireConnectionInLocation(connectionId, locationId, m);
      const los = await this.los.retireConnectionInLocation(connectionId, locationId, m);
      return { resources, losRows: los.rows, losDatasets: los.datasets };
    });
    this.logger.log({ connectionId, locationId, ...retired }, 'location unmapped; the connection\'s data there retired');
  }

  // ---- for provider modules ----

  /**
   * Syncaroo tier 2 (CONTRACT 9.5): a listing of the connection's account that no connection maps is mapped to
   * it by its first webhook, with no admin step. false (the caller holds) for another account's listing, one of
   * no account, or one another connection maps.
   */
  async autoMapOwnedLocation(connection: Pick<ConnectionEntity, 'id' | 'accountId'>, locationId: string): Promise<boolean> {
    if (!connection.accountId) return false;
    const owner = await this.accounts.locationOwner(locationId);
    if (owner?.accountId !== connection.accountId) return false;
    try {
      await this.addMapping(EVERY_ACCOUNT, connection.id, { locationId });
    } catch (e) {
      if (e instanceof DomainError && e.status === 409) return false;
      throw e;
    }
    this.logger.log({ connectionId: connection.id, locationId }, 'listing of the account mapped by its first webhook');
    return true;
  }

  findById(id: string): Promise<ConnectionEntity | null> {
    return this.repo.findById(id);
  }

  findByExternalId(provider: Provider, externalId: string): Promise<ConnectionEntity | null> {
    return this.repo.findByExternalId(provider, externalId);
  }

  /** Lockme: the connection whose webhook URL carries this key (looked up by hash, compared in the index). */
  async findByLockmeWebhookKey(key: string): Promise<ConnectionEntity | null> {
    if (!/^[A-Za-z0-9_-]{16,128}$/.test(key)) return null;
    const c = await this.repo.findByWebhookKeyHash(sha256Hex(key));
    return c && c.provider === 'lockme' ? c : null;
  }

  findMapping(locationId: string): Promise<LocationMappingEntity | null> {
    return this.repo.findMapping(locationId);
  }

  findMappingByExternalId(connectionId: string, externalId: string): Promise<LocationMappingEntity | null> {
    return this.repo.findMappingByExternalId(connectionId, externalId);
  }

  /**
   * Inside a handler's write transaction: whether the location is (still) mapped to the connection, holding the
   * location's shared mapping lock until that transaction ends, so an unmapping either waits for the write
   * (and then retires it) or has committed before (and the handler sees the location unmapped).
   */
  holdsMapping(connectionId: string, locationId: string, manager: EntityManager): Promise<boolean> {
    return this.repo.lockMapping(connectionId, locationId, manager);
  }

  mappingsOf(connectionId: string): Promise<LocationMappingEntity[]> {
    return this.repo.allMappings(connectionId);
  }

  async getCredentials(connectionId: string, manager?: EntityManager): Promise<StoredCredentials | null> {
    const sealed = await this.repo.readCredentials(connectionId, manager);
    return sealed ? this.box.open<StoredCredentials>(sealed) : null;
  }

  async saveCredentials(connectionId: string, credentials: StoredCredentials | null, manager?: EntityManager): Promise<void> {
    await this.repo.writeCredentials(connectionId, credentials ? this.box.seal(credentials) : null, manager);
  }

  /** Stratech authorization: the connection for this external id becomes active with these credentials. */
  async activateWithCredentials(provider: Provider, externalId: string, credentials: StoredCredentials): Promise<ConnectionEntity> {
    const sealed = this.box.seal(credentials);
    await this.repo.manager.query(
      `INSERT INTO connections (provider, external_id, status, credentials) VALUES ($1, $2, 'active', $3)
       ON CONFLICT (provider, external_id) DO UPDATE SET status = 'active', credentials = EXCLUDED.credentials, updated_at = now()`,
      [provider, externalId, sealed],
    );
    const connection = (await this.repo.findByExternalId(provider, externalId))!;
    await this.events.releaseCauses(connectionCauses(connection));
    return connection;
  }

  /** Marks the connection revoked and erases its credentials. */
  async revoke(connectionId: string): Promise<void> {
    await this.repo.manager.getRepository(ConnectionEntity).update({ id: connectionId }, { status: 'revoked', credentials: null });
  }

  // ---- helpers ----

  /** Lockme's webhook URL secret: derived from the connection id with the encryption key, stored only as a hash. */
  private lockmeWebhookKey(connectionId: string): string {
    return createHmac('sha256', this.config.encryptionKey).update(`lockme-webhook-key:${connectionId}`).digest('base64url').slice(0, 32);
  }

  webhookUrlFor(c: Pick<ConnectionEntity, 'id' | 'provider'>): string | null {
    const base = this.config.publicUrl;
    if (c.provider === 'lockme') return `${base}/webhooks/lockme/${this.lockmeWebhookKey(c.id)}`;
    if (c.provider === 'syncaroo') return `${base}/webhooks/syncaroo`;
    // Stratech's URL carries the operator's STRATECH_WEBHOOK_SECRET, which the API does not echo.
    return null;
  }

  private view(c: ConnectionEntity): ConnectionView {
    return toConnectionView(c, this.webhookUrlFor(c));
  }

  private async require(tenant: Tenant, id: string): Promise<ConnectionEntity> {
    const c = await this.repo.findVisible(tenant, id);
    if (!c) throw notFound('connection', id);
    return c;
  }

  /**
   * The account a connection is given: an account credential's own (naming another is naming something it
   * cannot see: 404), else the one named, which must exist.
   */
  private async accountFor(tenant: Tenant, requested: string | undefined): Promise<string | null> {
    if (tenant.accountId !== null) {
      if (requested !== undefined && requested !== tenant.accountId) throw notFound('account', requested);
      return tenant.accountId;
    }
    if (requested === undefined) return null;
    if (!(await this.accounts.exists(requested))) throw badRequest('no such account', [{ field: 'accountId', message: 'no account has this id' }]);
    return requested;
  }

  /** The connection moves to the account with the listings it maps; one of them another account's → 409, nothing changed. */
  private async reassign(connection: ConnectionEntity, accountId: string | null): Promise<void> {
    await this.repo.manager.transaction(async (m) => {
      await m.query(`SELECT 1 FROM connections WHERE id = $1 FOR NO KEY UPDATE`, [connection.id]);
      if (accountId !== null) {
        for (const mapping of await m.getRepository(LocationMappingEntity).find({ where: { connectionId: connection.id } })) {
          if (!(await this.accounts.claimLocation(accountId, mapping.locationId, {}, m))) {
            throw conflict(`the connection maps location ${JSON.stringify(mapping.locationId)}, which belongs to another account`);
          }
        }
      }
      await m.getRepository(ConnectionEntity).update({ id: connection.id }, { accountId });
    });
    this.logger.log({ connectionId: connection.id, accountId }, 'connection given to an account');
  }

  private checkProviderRules(provider: Provider, externalId: string | undefined, credentials: CredentialsDto | undefined): void {
    if (provider === 'syncaroo') {
      if (!externalId) throw badRequest('a Syncaroo connection needs externalId (its connectionId)', [{ field: 'externalId', message: 'externalId is required for syncaroo' }]);
      // The canonical decimal form of what the webhook's integer `connectionId` can be: no leading zeros.
      if (!/^(0|[1-9]\d{0,15})$/.test(externalId) || !Number.isSafeInteger(Number(externalId))) throw badRequest('a Syncaroo connectionId is an integer', [{ field: 'externalId', message: 'externalId must be the integer Syncaroo connectionId, in decimal without leading zeros' }]);
      if (credentials) throw badRequest('Syncaroo uses the platform credentials from the environment', [{ field: 'credentials', message: 'credentials are not accepted for syncaroo' }]);
    }
    if (provider === 'stratech' && !externalId) {
      throw badRequest('a Stratech connection needs externalId (its organizationReference)', [{ field: 'externalId', message: 'externalId is required for stratech' }]);
    }
    if (provider === 'lockme' && credentials && (!credentials.accessToken || !credentials.refreshToken)) {
      throw badRequest('Lockme credentials need accessToken and refreshToken', [{ field: 'credentials', message: 'accessToken and refreshToken are required' }]);
    }
    if (provider === 'stratech' && credentials && !credentials.refreshToken) {
      throw badRequest('Stratech credentials need refreshToken', [{ field: 'credentials.refreshToken', message: 'refreshToken is required' }]);
    }
  }

  private normaliseCredentials(c: CredentialsDto): StoredCredentials {
    return {
      ...(c.accessToken ? { accessToken: c.accessToken } : {}),
      ...(c.refreshToken ? { refreshToken: c.refreshToken } : {}),
      ...(c.expiresAt ? { expiresAt: new Date(c.expiresAt).toISOString() } : {}),
    };
  }
}

/** What a change to this connection may have resolved: its own holds, and those waiting for it to exist. */
function connectionCauses(c: Pick<ConnectionEntity, 'id' | 'provider' | 'externalId'>): string[] {
  return [holdCause.connection(c.id), ...(c.externalId ? [holdCause.external(c.provider, c.externalId)] : [])];
}
