import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { LocationEntity } from './entities/location.entity';

export interface LocationOwner {
  provider: string;
  connectionId: string;
  externalId: string | null;
}

@Injectable()
export class LocationsRepository {
  constructor(@InjectRepository(LocationEntity) private readonly repo: Repository<LocationEntity>) {}

  findById(id: string, manager?: EntityManager): Promise<LocationEntity | null> {
    return (manager?.getRepository(LocationEntity) ?? this.repo).findOneBy({ id });
  }

  /** Creates the location if new and records its owning connection; name/timezone only when given. */
  async upsertOwned(id: string, owner: LocationOwner, fields: { name?: string; timezone?: string }, manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO locations (id, name, timezone, provider, connection_id, external_id, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (id) DO UPDATE SET
         name = COALESCE($2, locations.name), timezone = COALESCE($3, locations.timezone),
         provider = $4, connection_id = $5, external_id = $6,
         -- updatedAt moves only on a real change (the change feed records only those too).
         updated_at = CASE WHEN (locations.name, locations.timezone, locations.provider, locations.connection_id, locations.external_id)
                                IS DISTINCT FROM (COALESCE($2, locations.name), COALESCE($3, locations.timezone), $4, $5::uuid, $6)
                           THEN now() ELSE locations.updated_at END`,
      [id, fields.name ?? null, fields.timezone ?? null, owner.provider, owner.connectionId, owner.externalId],
    );
  }

  async clearOwner(id: string, connectionId: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(LocationEntity).update({ id, connectionId }, { provider: null, connectionId: null, externalId: null });
  }

  /** Provider data (Syncaroo `locations`): changes name/time zone; updated_at only moves on a real change. */
  async updateDetails(id: string, fields: { name: string | null; timezone: string | null }, manager?: EntityManager): Promise<boolean> {
    const result = await (manager ?? this.repo.manager).query(
      `UPDATE locations SET name = $2, timezone = COALESCE($3, timezone), updated_at = now()
       WHERE id = $1 AND (name IS DISTINCT FROM $2 OR ($3::text IS NOT NULL AND timezone IS DISTINCT FROM $3))`,
      [id, fields.name, fields.timezone],
    );
    return (result as [unknown[], number])[1] > 0;
  }
}
