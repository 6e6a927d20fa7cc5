import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import type { Tenant } from '../auth/principal';
import { ConnectionEntity, ConnectionStatus, Provider } from './entities/connection.entity';
import { LocationMappingEntity } from './entities/location-mapping.entity';

@Injectable()
export class ConnectionsRepository {
  constructor(
    @InjectRepository(ConnectionEntity) private readonly connections: Repository<ConnectionEntity>,
    @InjectRepository(LocationMappingEntity) private readonly mappings: Repository<LocationMappingEntity>,
  ) {}

  get manager(): EntityManager {
    return this.connections.manager;
  }

  findById(id: string): Promise<ConnectionEntity | null> {
    return this.connections.findOneBy({ id });
  }

  /** The connection if the tenant may see it (its account's, or any for a global credential). */
  findVisible(tenant: Tenant, id: string): Promise<ConnectionEntity | null> {
    return this.connections.findOneBy(tenant.accountId === null ? { id } : { id, accountId: tenant.accountId });
  }

  findByExternalId(provider: Provider, externalId: string): Promise<ConnectionEntity | null> {
    return this.connections.findOneBy({ provider, externalId });
  }

  findByWebhookKeyHash(hash: string): Promise<ConnectionEntity | null> {
    return this.connections.findOneBy({ webhookKeyHash: hash });
  }

  async list(tenant: Tenant, filter: { provider?: Provider; status?: ConnectionStatus; after?: [string, string] }, limit: number): Promise<ConnectionEntity[]> {
    const qb = this.connections.createQueryBuilder('c').orderBy('c.created_at', 'ASC').addOrderBy('c.id', 'ASC').limit(limit);
    if (tenant.accountId !== null) qb.andWhere('c.account_id = :accountId', { accountId: tenant.accountId });
    if (filter.provider) qb.andWhere('c.provider = :provider', { provider: filter.provider });
    if (filter.status) qb.andWhere('c.status = :status', { status: filter.status });
    if (filter.after) qb.andWhere('(c.created_at, c.id) > (:at::timestamptz, :id::uuid)', { at: filter.after[0], id: filter.after[1] });
    return qb.getMany();
  }

  async readCredentials(id: string, manager?: EntityManager): Promise<Buffer | null> {
    const row = await (manager ?? this.manager)
      .getRepository(ConnectionEntity)
      .createQueryBuilder('c')
      .select('c.credentials', 'credentials')
      .where('c.id = :id', { id })
      .getRawOne<{ credentials: Buffer | null }>();
    return row?.credentials ?? null;
  }

  async writeCredentials(id: string, sealed: Buffer | null, manager?: EntityManager): Promise<void> {
    await (manager ?? this.manager).getRepository(ConnectionEntity).update({ id }, { credentials: sealed });
  }

  findMapping(locationId: string, manager?: EntityManager): Promise<LocationMappingEntity | null> {
    return (manager?.getRepository(LocationMappingEntity) ?? this.mappings).findOneBy({ locationId });
  }

  /**
   * The location's exclusive mapping lock, until the caller's transaction ends: waits for the writes holding its
   * shared side (hold_mapping, migration MappingAdvisoryLocks) and keeps new ones waiting.
   */
  async lockMappingChange(locationId: string, manager: EntityManager): Promise<void> {
    await manager.query(`SELECT lock_mapping_change($1)`, [locationId]);
  }

  /**
   * The location's shared mapping lock until the caller's transaction ends (an unmapping waits for it), then
   * whether the location is mapped to the connection, read after the lock was granted (hold_mapping).
   */
  async lockMapping(connectionId: string, locationId: string, manager: EntityManager): Promise<boolean> {
    const [row] = (await manager.query(`SELECT hold_mapping($1, $2::uuid) AS held`, [locationId, connectionId])) as Array<{ held: boolean }>;
    return row?.held === true;
  }

  findMappingByExternalId(connectionId: string, externalId: string): Promise<LocationMappingEntity | null> {
    return this.mappings.findOneBy({ connectionId, externalId });
  }

  listMappings(connectionId: string, afterLocationId: string | undefined, limit: number): Promise<LocationMappingEntity[]> {
    const qb = this.mappings.createQueryBuilder('m').where('m.connection_id = :connectionId', { connectionId })
      .orderBy('m.location_id', 'ASC').limit(limit);
    if (afterLocationId !== undefined) qb.andWhere('m.location_id > :after', { after: afterLocationId });
    return qb.getMany();
  }

  allMappings(connectionId: string): Promise<LocationMappingEntity[]> {
    return this.mappings.find({ where: { connectionId }, order: { locationId: 'ASC' } });
  }
}
