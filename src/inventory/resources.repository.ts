import { createHash } from 'node:crypto';
import { poolOf } from '../database/leader-lock';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
import { ResourceEntity, ResourceStatus, ResourceType } from './entities/resource.entity';

export interface ResourceUpsert {
  id: string;
  locationId: string;
  connectionId: string;
  provider: string;
  externalId: string;
  type: ResourceType;
  name: string | null;
  capacity: number | null;
  status: ResourceStatus;
  attributes: Record<string, unknown>;
}

/** Stable hash of everything a client can see change; key order does not matter. */
export function resourceHash(r: Omit<ResourceUpsert, 'id' | 'connectionId' | 'provider' | 'externalId'>): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical)
      : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical([r.locationId, r.type, r.name, r.capacity, r.status, r.attributes])))
    .digest('hex');
}

const UPSERT_SQL = `
  INSERT INTO resources AS r (id, location_id, connection_id, type, name, capacity, status, provider, external_id, attributes, source_hash, updated_at)
  SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::varchar[], $5::varchar[], $6::int[], $7::varchar[], $8::varchar[], $9::varchar[], $10::jsonb[], $11::varchar[])
         AS t(id, location_id, connection_id, type, name, capacity, status, provider, external_id, attributes, source_hash), now()
  ON CONFLICT (provider, connection_id, external_id) DO UPDATE SET
    location_id = EXCLUDED.location_id, type = EXCLUDED.type, name = EXCLUDED.name, capacity = EXCLUDED.capacity,
    status = EXCLUDED.status, attributes = EXCLUDED.attributes, source_hash = EXCLUDED.source_hash, updated_at = now()
  WHERE r.source_hash IS DISTINCT FROM EXCLUDED.source_hash
  RETURNING r.id, r.external_id`;

/**
 * One resource upserted only while its location is mapped to its connection, in one statement (its own
 * transaction): hold_mapping takes the location's shared mapping lock first and then checks the mapping (migration
 * MappingAdvisoryLocks), so an unmapping (lock_mapping_change) either waits for this write and then retires it,
 * or committed before and nothing is written. `id`: the stored row's id when the row was written (an existing row
 * keeps its own id); null when it was already identical (or nothing was written).
 */
const UPSERT_HOLDING_MAPPING_SQL = `
  WITH mapping AS MATERIALIZED (
    SELECT 1 WHERE hold_mapping($12, $13::uuid)),
  written AS (
    INSERT INTO resources AS r (id, location_id, connection_id, type, name, capacity, status, provider, external_id, attributes, source_hash, updated_at)
    SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::varchar[], $5::varchar[], $6::int[], $7::varchar[], $8::varchar[], $9::varchar[], $10::jsonb[], $11::varchar[])
           AS t(id, location_id, connection_id, type, name, capacity, status, provider, external_id, attributes, source_hash), now()
     WHERE EXISTS (SELECT 1 FROM mapping)
    ON CONFLICT (provider, connection_id, external_id) DO UPDATE SET
      location_id = EXCLUDED.location_id, type = EXCLUDED.type, name = EXCLUDED.name, capacity = EXCLUDED.capacity,
      status = EXCLUDED.status, attributes = EXCLUDED.attributes, source_hash = EXCLUDED.source_hash, updated_at = now()
    WHERE r.source_hash IS DISTINCT FROM EXCLUDED.source_hash
    RETURNING r.id)
  SELECT EXISTS (SELECT 1 FROM mapping) AS mapped, (SELECT id FROM written LIMIT 1) AS id`;

@Injectable()
export class ResourcesRepository {
  constructor(@InjectRepository(ResourceEntity) private readonly repo: Repository<ResourceEntity>) {}

  private m(manager?: EntityManager): EntityManager {
    return manager ?? this.repo.manager;
  }

  findById(id: string, manager?: EntityManager): Promise<ResourceEntity | null> {
    return this.m(manager).getRepository(ResourceEntity).findOneBy({ id });
  }

  findByExternalId(provider: string, connectionId: string, externalId: string, manager?: EntityManager): Promise<ResourceEntity | null> {
    return this.m(manager).getRepository(ResourceEntity).findOneBy({ provider, connectionId, externalId });
  }

  /** Many products of one connection at once (Stratech datasets list ~100). */
  findByExternalIds(provider: string, connectionId: string, externalIds: string[], manager?: EntityManager): Promise<ResourceEntity[]> {
    if (externalIds.length === 0) return Promise.resolve([]);
    return this.m(manager).getRepository(ResourceEntity).findBy({ provider, connectionId, externalId: In(externalIds) });
  }

  findByLocation(locationId: string, manager?: EntityManager): Promise<ResourceEntity[]> {
    return this.m(manager).getRepository(ResourceEntity).find({ where: { locationId }, order: { id: 'ASC' } });
  }

  /**
   * Idempotent upsert keyed by (provider, connection, externalId). A row whose mapped fields are unchanged is
   * not rewritten, so `updatedAt` moves only on real changes. Returns the external ids that changed.
   */
  async upsertMany(rows: ResourceUpsert[], manager?: EntityManager): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const col = <K extends keyof ResourceUpsert>(k: K) => rows.map((r) => r[k]);
    const result: Array<{ id: string; external_id: string }> = await this.m(manager).query(UPSERT_SQL, [
      col('id'), col('locationId'), col('connectionId'), col('type'), col('name'), col('capacity'), col('status'),
      col('provider'), col('externalId'), rows.map((r) => JSON.stringify(r.attributes ?? {})), rows.map((r) => resourceHash(r)),
    ]);
    return new Set(result.map((r) => r.external_id));
  }

  /**
   * `upsert` of one row, only while `row.locationId` is mapped to `row.connectionId`, holding the mapping's
   * share lock for the write (see UPSERT_HOLDING_MAPPING_SQL). One round trip instead of BEGIN, lock, upsert,
   * COMMIT. `mapped` false: the location is not (or no longer) mapped to the connection, nothing written.
   */
  async upsertHoldingMapping(row: ResourceUpsert): Promise<{ mapped: boolean; id: string | null }> {
    const pool = poolOf(this.repo.manager.connection);
    // Named: prepared once per pooled connection instead of parsed and planned on every event.
    const { rows } = await pool.query<{ mapped: boolean; id: string | null }>({ name: 'resource-upsert-holding-mapping', text: UPSERT_HOLDING_MAPPING_SQL, values: [
      [row.id], [row.locationId], [row.connectionId], [row.type], [row.name], [row.capacity], [row.status],
      [row.provider], [row.externalId], [JSON.stringify(row.attributes ?? {})], [resourceHash(row)], row.locationId, row.connectionId,
    ] });
    return { mapped: rows[0]?.mapped === true, id: rows[0]?.id ?? null };
  }

  async upsert(row: ResourceUpsert, manager?: EntityManager): Promise<{ changed: boolean }> {
    const changed = await this.upsertMany([row], manager);
    return { changed: changed.size > 0 };
  }

  /** `removed` keeps the row (clients see it disappear via updatedSince); bumps updated_at only if it was active. */
  async markRemoved(ids: string[], manager?: EntityManager): Promise<number> {
    if (ids.length === 0) return 0;
    const res = await this.m(manager).query(
      `UPDATE resources SET status = 'removed', updated_at = now(),
              source_hash = NULL, rates_hash = NULL
        WHERE id = ANY($1::varchar[]) AND status <> 'removed'`,
      [ids],
    );
    return (res as [unknown[], number])[1];
  }

  /**
   * Unmapping: this connection's resources in the location become `removed` (the rows stay, so clients see
   * them go via updatedSince), in the caller's transaction. Other connections' resources there are untouched.
   */
  async retireConnectionInLocation(connectionId: string, locationId: string, manager: EntityManager): Promise<number> {
    const res = await manager.query(
      `UPDATE resources SET status = 'removed', updated_at = now(), source_hash = NULL, rates_hash = NULL
        WHERE location_id = $1 AND connection_id = $2 AND status <> 'removed'`,
      [locationId, connectionId],
    );
    return (res as [unknown[], number])[1];
  }
}
