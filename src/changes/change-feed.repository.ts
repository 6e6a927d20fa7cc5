import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/domain.error';
import type { Tenant } from '../auth/principal';
import { comparePositions, FeedPosition, FEED_START, positionBelow } from './change-cursor';
import type { ChangeOp, ChangeType } from './entities/change.entity';

/** A change as the feed hands it out (CONTRACT.md section 10). */
export interface ChangeItem {
  id: string;
  type: ChangeType;
  op: ChangeOp;
  locationId: string;
  resourceId: string | null;
  entityId: string;
  changedAt: string;
  data: { channel: string; arrivalFrom: string; arrivalTo: string } | null;
}

export interface FeedEntry {
  item: ChangeItem;
  /** The position just after this change. */
  position: FeedPosition;
}

export interface FeedFilter {
  types?: readonly ChangeType[];
  locationId?: string;
}

export interface FeedRead {
  entries: FeedEntry[];
  /** Where the next read continues: after the last entry, or past everything this read could see. */
  next: FeedPosition;
}

export const cursorExpired = () =>
  new DomainError('cursor-expired', 410, 'the cursor is older than the oldest retained change; resync from the lists with updatedSince');

interface ChangeRow {
  horizon: string;
  pruned_xid: string;
  pruned_seq: string;
  xid: string | null;
  seq: string;
  type: ChangeType;
  op: ChangeOp;
  location_id: string;
  resource_id: string | null;
  entity_id: string;
  channel: string | null;
  arrival_from: string | null;
  arrival_to: string | null;
  changed_at: Date;
}

/**
 * Reads the feed. Rows are handed out in (xid, seq) order and only below the reading snapshot's xmin: every
 * transaction with a smaller id has ended, so nothing can still appear behind a position once handed out, even
 * when a transaction that started earlier commits later (it holds the horizon back until it ends).
 */
@Injectable()
export class ChangeFeedRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The oldest position still served (retention deleted everything up to it). */
  async retainedFrom(): Promise<FeedPosition> {
    const [row] = await this.dataSource.query(`SELECT pruned_xid::text AS xid, pruned_seq::text AS seq FROM changes_horizon WHERE id = 1`);
    return row ? { xid: row.xid, seq: row.seq } : FEED_START;
  }

  /** The head: an empty read from here waits for the next change. */
  async head(): Promise<FeedPosition> {
    const [row] = await this.dataSource.query(`SELECT (pg_snapshot_xmin(pg_current_snapshot())::text) AS horizon`);
    return positionBelow(row.horizon);
  }

  /**
   * Up to `limit` changes after `after` that the tenant may see. `after` null: from the oldest retained.
   * A position before the retention horizon is 410.
   */
  async read(tenant: Tenant, after: FeedPosition | null, filter: FeedFilter, limit: number): Promise<FeedRead> {
    // One statement (one snapshot, one round trip): the retention horizon, the xmin horizon and the page.
    const params: unknown[] = [after?.xid ?? null, after?.seq ?? null, limit];
    const where: string[] = [];
    if (tenant.accountId !== null) {
      params.push(tenant.accountId);
      where.push(`account_id = $${params.length}::uuid`);
    }
    if (filter.types?.length) {
      params.push(filter.types);
      where.push(`type = ANY($${params.length}::varchar[])`);
    }
    if (filter.locationId !== undefined) {
      params.push(filter.locationId);
      where.push(`location_id = $${params.length}`);
    }
    const rows: ChangeRow[] = await this.dataSource.query(
      `WITH h AS (
         SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint AS horizon,
                COALESCE((SELECT pruned_xid FROM changes_horizon WHERE id = 1), 0) AS pruned_xid,
                COALESCE((SELECT pruned_seq FROM changes_horizon WHERE id = 1), 0) AS pruned_seq),
       f AS (SELECT h.*, COALESCE($1::bigint, h.pruned_xid) AS from_xid, COALESCE($2::bigint, h.pruned_seq) AS from_seq FROM h)
       SELECT f.horizon::text AS horizon, f.pruned_xid::text AS pruned_xid, f.pruned_seq::text AS pruned_seq,
              c.xid::text AS xid, c.seq::text AS seq, c.type, c.op, c.location_id, c.resource_id, c.entity_id,
              c.channel, to_char(c.arrival_from, 'YYYY-MM-DD') AS arrival_from, to_char(c.arrival_to, 'YYYY-MM-DD') AS arrival_to, c.changed_at
         FROM f LEFT JOIN LATERAL (
           SELECT * FROM changes
            WHERE (xid, seq) > (f.from_xid, f.from_seq) AND xid < f.horizon ${where.map((w) => `AND ${w}`).join(' ')}
            ORDER BY xid, seq LIMIT $3) c ON true`,
      params,
    );
    const retained: FeedPosition = { xid: rows[0].pruned_xid, seq: rows[0].pruned_seq };
    if (after && comparePositions(after, retained) < 0) throw cursorExpired();
    const from = after ?? retained;
    const horizon = rows[0].horizon;
    const entries = rows.filter((r) => r.xid !== null).map(toEntry);
    if (entries.length === limit) return { entries, next: entries[entries.length - 1].position };
    // Fewer than asked: everything below the horizon that matches has been read, so skip past it.
    const below = positionBelow(horizon);
    return { entries, next: comparePositions(below, from) > 0 ? below : from };
  }
}

function toEntry(r: ChangeRow): FeedEntry {
  return {
    position: { xid: r.xid as string, seq: r.seq },
    item: {
      id: r.seq,
      type: r.type,
      op: r.op,
      locationId: r.location_id,
      resourceId: r.resource_id,
      entityId: r.entity_id,
      changedAt: new Date(r.changed_at).toISOString(),
      data: r.type === 'los' && r.channel !== null ? { channel: r.channel, arrivalFrom: r.arrival_from as string, arrivalTo: r.arrival_to as string } : null,
    },
  };
}
