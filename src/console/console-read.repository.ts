import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Tenant } from '../auth/principal';
import { decodeTimeIdCursor, Page, toPage } from '../common/pagination';
import { ACTIVE as WAITING, OWNED as OWNED_EVENT } from '../ingestion/events.repository';
import type { MinuteCount } from './svg-chart';


export interface OverviewStats {
  total: number;
  byStatus: Record<string, number>;
  backlog: number;
  held: number;
  dead: number;
  oldestPendingSeconds: number | null;
  providers: Array<{ provider: string; byStatus: Record<string, number>; oldestPendingSeconds: number | null }>;
}

export interface ConnectionActivity {
  lastWebhookAt: Date | null;
  lastSuccessAt: Date | null;
}

export interface ConsoleKeyRow {
  id: string;
  name: string;
  accountId: string | null;
  scopes: string[];
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/**
 * The console's own reads, which the REST API has no route for: overview counts, the per-minute chart, each
 * connection's last activity, an account's API keys, a resource's LOS channels. Every method takes the
 * signed-in principal's Tenant and filters by its account. Counts and the chart read the queue table, which
 * holds what is in line and the last EVENT_ARCHIVE_AFTER_MINUTES of finished events; a connection's last
 * activity falls back to the archive.
 */
@Injectable()
export class ConsoleReadRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async overview(tenant: Tenant): Promise<OverviewStats> {
    const rows: Array<{ provider: string; status: string; n: number; oldest: number | null }> = await this.dataSource.query(
      `SELECT e.provider, e.status, count(*)::int AS n,
              EXTRACT(EPOCH FROM now() - min(e.received_at) FILTER (WHERE e.status IN ${WAITING}))::float AS oldest
         FROM inbound_events e WHERE ${OWNED_EVENT('$1')} GROUP BY e.provider, e.status ORDER BY e.provider`,
      [tenant.accountId],
    );
    const stats: OverviewStats = { total: 0, byStatus: {}, backlog: 0, held: 0, dead: 0, oldestPendingSeconds: null, providers: [] };
    const providers = new Map<string, OverviewStats['providers'][number]>();
    for (const r of rows) {
      stats.total += r.n;
      stats.byStatus[r.status] = (stats.byStatus[r.status] ?? 0) + r.n;
      if (['pending', 'failed', 'processing'].includes(r.status)) stats.backlog += r.n;
      if (r.status === 'held') stats.held += r.n;
      if (r.status === 'dead') stats.dead += r.n;
      const p = providers.get(r.provider) ?? { provider: r.provider, byStatus: {}, oldestPendingSeconds: null };
      p.byStatus[r.status] = r.n;
      if (r.oldest !== null) {
        p.oldestPendingSeconds = Math.max(p.oldestPendingSeconds ?? 0, r.oldest);
        stats.oldestPendingSeconds = Math.max(stats.oldestPendingSeconds ?? 0, r.oldest);
      }
      providers.set(r.provider, p);
    }
    stats.providers = [...providers.values()];
    return stats;
  }

  /** Events received per minute in the last `minutes`, by current status. */
  async perMinute(tenant: Tenant, minutes = 60): Promise<MinuteCount[]> {
    const rows: Array<{ minute: Date; status: string; n: number }> = await this.dataSource.query(
      `SELECT date_trunc('minute', e.received_at) AS minute, e.status, count(*)::int AS n
         FROM inbound_events e
        WHERE e.received_at >= date_trunc('minute', now()) - make_interval(mins => $2::int - 1) AND ${OWNED_EVENT('$1')}
        GROUP BY 1, 2`,
      [tenant.accountId, minutes],
    );
    return rows.map((r) => ({ minute: new Date(r.minute), status: r.status, n: r.n }));
  }

  /** Last webhook received (resyncs are not webhooks) and last event done, per connection (of those the tenant may see). */
  async connectionActivity(tenant: Tenant, connectionIds: string[]): Promise<Map<string, ConnectionActivity>> {
    const out = new Map<string, ConnectionActivity>();
    if (connectionIds.length === 0) return out;
    const rows: Array<{ connection_id: string; last_webhook: Date | null; last_success: Date | null }> = await this.dataSource.query(
      `SELECT e.connection_id, max(e.received_at) FILTER (WHERE e.event_type NOT IN ('resync', 'resync.item')) AS last_webhook, max(e.processed_at) FILTER (WHERE e.status = 'done') AS last_success
         FROM inbound_events e WHERE e.connection_id = ANY($1::uuid[]) AND ${OWNED_EVENT('$2')} GROUP BY e.connection_id`,
      [connectionIds, tenant.accountId],
    );
    for (const r of rows) out.set(r.connection_id, { lastWebhookAt: r.last_webhook, lastSuccessAt: r.last_success });
    // Older activity is in the archive: the newest matching event of each connection still missing a value,
    // one backward probe of ix_inbound_events_archive_connection_seq per partition.
    const missing = connectionIds.filter((id) => !out.get(id)?.lastWebhookAt || !out.get(id)?.lastSuccessAt);
    if (missing.length === 0) return out;
    const archived: Array<{ id: string; last_webhook: Date | null; last_success: Date | null }> = await this.dataSource.query(
      `SELECT c.id,
              (SELECT a.received_at FROM inbound_events_archive a WHERE a.connection_id = c.id AND a.event_type NOT IN ('resync', 'resync.item')
                ORDER BY a.seq DESC LIMIT 1) AS last_webhook,
              (SELECT a.processed_at FROM inbound_events_archive a WHERE a.connection_id = c.id AND a.status = 'done'
                ORDER BY a.seq DESC LIMIT 1) AS last_success
         FROM unnest($1::uuid[]) AS c(id)
        WHERE $2::uuid IS NULL OR c.id IN (SELECT k.id FROM connections k WHERE k.account_id = $2::uuid)`,
      [missing, tenant.accountId],
    );
    for (const r of archived) {
      const hot = out.get(r.id);
      out.set(r.id, { lastWebhookAt: hot?.lastWebhookAt ?? r.last_webhook, lastSuccessAt: hot?.lastSuccessAt ?? r.last_success });
    }
    return out;
  }

  /** API keys, newest first: every key for a global tenant, else the account's own. Never the hash. */
  async listKeys(tenant: Tenant, q: { limit?: number; cursor?: string }): Promise<Page<ConsoleKeyRow>> {
    const limit = q.limit ?? 50;
    const before = decodeTimeIdCursor(q.cursor);
    const rows: Array<{ id: string; name: string; account_id: string | null; scopes: string[]; prefix: string; created_at: Date; key_time: string; expires_at: Date | null; last_used_at: Date | null }> =
      await this.dataSource.query(
        `SELECT id, name, account_id, scopes, prefix, created_at, expires_at, last_used_at,
                to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS key_time
           FROM api_keys
          WHERE ($1::uuid IS NULL OR account_id = $1::uuid)
            AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
          ORDER BY created_at DESC, id DESC LIMIT $4`,
        [tenant.accountId, before?.[0] ?? null, before?.[1] ?? null, limit + 1],
      );
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    return toPage(rows, limit, (r) => ({
      id: r.id, name: r.name, accountId: r.account_id, scopes: r.scopes, prefix: r.prefix,
      createdAt: iso(r.created_at)!, expiresAt: iso(r.expires_at), lastUsedAt: iso(r.last_used_at),
    }), (r) => [r.key_time, r.id]);
  }

  /** Whether the tenant may see (and so revoke) this key: 404 otherwise, as for any other account's item. */
  async keyVisible(tenant: Tenant, id: string): Promise<boolean> {
    const rows = await this.dataSource.query(`SELECT 1 FROM api_keys WHERE id = $1::uuid AND ($2::uuid IS NULL OR account_id = $2::uuid)`, [id, tenant.accountId]);
    return rows.length > 0;
  }

  /** The LOS channels of a resource in a listing of the tenant's account. */
  async losChannels(tenant: Tenant, resourceId: string): Promise<string[]> {
    const rows: Array<{ channel: string }> = await this.dataSource.query(
      `SELECT DISTINCT channel FROM los_days
        WHERE resource_id = $1 AND ($2::uuid IS NULL OR location_id IN (SELECT id FROM locations WHERE account_id = $2::uuid))
        ORDER BY channel LIMIT 50`,
      [resourceId, tenant.accountId],
    );
    return rows.map((r) => r.channel);
  }

  /** Account names for labels (a global tenant sees every account; an account its own). */
  async accountNames(tenant: Tenant, limit = 500): Promise<Array<{ id: string; name: string }>> {
    return this.dataSource.query(
      `SELECT id, name FROM accounts WHERE ($1::uuid IS NULL OR id = $1::uuid) ORDER BY name, id LIMIT $2`, [tenant.accountId, limit]);
  }
  /** Per account: its users, listings and connections (the accounts list; admin only, so no tenant). */
  async accountCounts(accountIds: string[]): Promise<Record<string, { users: number; locations: number; connections: number }>> {
    if (accountIds.length === 0) return {};
    const rows: Array<{ id: string; users: number; locations: number; connections: number }> = await this.dataSource.query(
      `SELECT a.id,
              (SELECT count(*)::int FROM account_users u WHERE u.account_id = a.id) AS users,
              (SELECT count(*)::int FROM locations l WHERE l.account_id = a.id) AS locations,
              (SELECT count(*)::int FROM connections c WHERE c.account_id = a.id) AS connections
         FROM accounts a WHERE a.id = ANY($1::uuid[])`,
      [accountIds],
    );
    return Object.fromEntries(rows.map((r) => [r.id, { users: r.users, locations: r.locations, connections: r.connections }]));
  }

  /** Which of these locations a connection maps (a mapped listing cannot be released): location id → connection id. */
  async mappedLocations(locationIds: string[]): Promise<Record<string, string>> {
    if (locationIds.length === 0) return {};
    const rows: Array<{ location_id: string; connection_id: string }> = await this.dataSource.query(
      `SELECT location_id, connection_id FROM location_mappings WHERE location_id = ANY($1::text[])`, [locationIds]);
    return Object.fromEntries(rows.map((r) => [r.location_id, r.connection_id]));
  }

  /**
   * Dead events a bulk replay of `provider` (null = every provider) would take, and how many of them it would
   * skip as stale (a later event of the same item is done) — the same conditions as isq_replay_dead.
   */
  async deadEvents(tenant: Tenant, provider: string | null): Promise<{ dead: number; stale: number }> {
    const [row]: Array<{ dead: number; stale: number }> = await this.dataSource.query(
      `SELECT count(*)::int AS dead,
              count(*) FILTER (WHERE isq_later_done(e.partition_key, e.seq))::int AS stale
         FROM inbound_events e WHERE e.status = 'dead' AND ($1::text IS NULL OR e.provider = $1) AND ${OWNED_EVENT('$2')}`,
      [provider, tenant.accountId],
    );
    return row;
  }
}
