import { Injectable } from '@nestjs/common';
import { poolOf } from '../../database/leader-lock';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { ConnectionStatus } from '../../connections/entities/connection.entity';
import type { ResourceType } from '../../inventory/entities/resource.entity';
import { PROVIDER } from './syncaroo.mapper';

/** What a Syncaroo webhook's tenant checks need, read in one statement (one snapshot, one round trip). */
export interface SyncarooTarget {
  /** Our connection for the webhook's `connectionId`. */
  id: string;
  status: ConnectionStatus;
  /** The connection's account (tier 2 maps the account's own listings by their first webhook). */
  accountId: string | null;
  /** The connection the webhook's `locationId` is mapped to, if any (another one's → the webhook is held). */
  mappedTo: string | null;
  /** Our resource of this connection with the asked Syncaroo id, if one was asked and exists. */
  resource: { id: string; type: ResourceType; ratesHash: string | null } | null;
}

/*
 * The same three reads as ConnectionsService.findByExternalId + findMapping + ResourcesRepository.findByExternalId,
 * joined. Nothing here is a lock or a cache: the write that follows still takes the mapping's share lock
 * (ResourcesRepository.upsertHoldingMapping) and checks it is there.
 */
const TARGET_SQL = `
  SELECT c.id, c.status, c.account_id,
         (SELECT m.connection_id FROM location_mappings m WHERE m.location_id = $2) AS mapped_to,
         r.id AS resource_id, r.type AS resource_type, r.rates_hash AS resource_rates_hash
    FROM connections c
    LEFT JOIN resources r ON $3::varchar IS NOT NULL AND r.provider = $4 AND r.connection_id = c.id AND r.external_id = $3::varchar
   WHERE c.provider = $4 AND c.external_id = $1`;

@Injectable()
export class SyncarooTargetsRepository {
  private readonly pool: Pool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.pool = poolOf(dataSource);
  }

  /** null when no Syncaroo connection has this `connectionId`; `syncarooId` null skips the resource lookup. */
  async find(connectionExternalId: string, locationId: string, syncarooId: string | null): Promise<SyncarooTarget | null> {
    // Named: prepared once per pooled connection instead of parsed and planned on every event.
    const { rows } = await this.pool.query<{ id: string; status: ConnectionStatus; account_id: string | null; mapped_to: string | null; resource_id: string | null; resource_type: ResourceType | null; resource_rates_hash: string | null }>(
      { name: 'syncaroo-target', text: TARGET_SQL, values: [connectionExternalId, locationId, syncarooId, PROVIDER] });
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      status: row.status,
      accountId: row.account_id,
      mappedTo: row.mapped_to,
      resource: row.resource_id !== null ? { id: row.resource_id, type: row.resource_type as ResourceType, ratesHash: row.resource_rates_hash } : null,
    };
  }
}
