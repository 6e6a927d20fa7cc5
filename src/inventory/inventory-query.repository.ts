import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { poolOf } from '../database/leader-lock';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { Tenant } from '../auth/principal';
import { badRequest } from '../common/domain.error';
import { decodeCursor, Page, toPage } from '../common/pagination';
import type { AvailabilityQuery, BookingListQuery, LosQuery, ResourceListQuery } from './dto/inventory-query.dto';
import type { AvailabilityWindowView, BookingView, LocationView, LosView, RateView, ResourceView } from './dto/inventory-view.dto';
import { isCalendarDate, parseZonedTimestamp } from './dto/query-values';
import {
  AvailabilityRow, BookingRow, LocationRow, LosRow, RateRow, ResourceRow,
  toAvailabilityView, toBookingView, toLocationView, toLosView, toRateView, toResourceView,
} from './inventory.mapper';
import { READ_TYPES } from './read-types';

const DEFAULT_LIMIT = 100;

/** Cursor timestamps keep PostgreSQL's microseconds: a millisecond Date would skip or repeat rows at a page edge. */
const KEY_TIME = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * The commit watermark of the updatedSince feed. updated_at is now(), the writing transaction's start, so a row
 * can commit long after rows with later timestamps. Every row a transaction writes carries at least its start
 * time, so below the start of the oldest transaction still open in this database (written yet or not: one that
 * has not written may still write, with that start time) everything is committed or will never appear. With
 * none open, now(): the start of this statement's own implicit transaction, which is no later than the moment
 * pg_stat_activity is sampled (clock_timestamp() would be later, and a transaction starting in between would be
 * missed; statement_timestamp() equals now() here but not inside an explicit transaction, where the activity
 * sample is cached from its first read). A backend running its first statement that has not published
 * xact_start yet shows query_start. Sessions of other roles show no state unless the reading role may see them
 * (superuser or pg_read_all_stats). Microsecond UTC text: a JS Date would drop the microseconds.
 */
const COMMIT_WATERMARK_SQL = `SELECT ${KEY_TIME('least(now(), min(coalesce(a.xact_start, a.query_start)))')} AS watermark
     FROM pg_stat_activity a
    WHERE a.datname = current_database() AND a.backend_type = 'client backend'
      AND a.state <> 'idle' AND a.pid <> pg_backend_pid()`;

const LOCATION_COLUMNS = 'id, name, timezone, provider, connection_id, external_id, updated_at';
const RESOURCE_COLUMNS = 'id, location_id, type, name, capacity, status, provider, external_id, attributes, updated_at';
const BOOKING_COLUMNS = 'id, resource_id, external_id, starts_at, ends_at, status, people, price, currency, updated_at';

// What a cursor component may hold; anything else is a forged cursor (400), never a SQL error (500).
const isKeyTime = (v: unknown) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(v) && parseZonedTimestamp(v) !== null;
const isKeyText = (v: unknown) => typeof v === 'string' && v.length >= 1 && v.length <= 300 && !v.includes('\u0000');
const isUuid = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);
const isBigintText = (v: unknown) => typeof v === 'string' && /^[1-9]\d{0,17}$/.test(v);
const isSmallint = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 32767;

function readCursor(cursor: string | undefined, shape: Array<'string' | 'number'>, checks: Array<(v: unknown) => boolean>): unknown[] | null {
  const key = decodeCursor(cursor, shape);
  if (key && !key.every((v, i) => checks[i](v))) {
    throw badRequest('cursor is not a cursor this API issued', [{ field: 'cursor', message: 'invalid cursor' }]);
  }
  return key;
}

/** Collects WHERE conditions with numbered parameters. */
class Where {
  readonly params: unknown[] = [];
  private readonly parts: string[] = [];

  /** `sql` uses `?` for the next parameter(s). */
  add(sql: string, ...values: unknown[]): this {
    let i = 0;
    this.parts.push(sql.replace(/\?/g, () => {
      this.params.push(values[i++]);
      return `$${this.params.length}`;
    }));
    return this;
  }

  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /**
   * Account scoping, the one place the read API applies it. resources and los_rows carry their listing's account
   * (kept by the database with the location's: trg_resources_account, the LOS writers, trg_locations_account moving
   * both, migration ChangeFeedTriggers), so the rule is a column of the row read, not a pass over locations: one
   * range of ix_resources_account_id / ix_los_days_account, or a filter on the index the other conditions pick.
   * Nothing for a global credential.
   */
  ownedBy(tenant: Tenant): this {
    if (tenant.accountId !== null) this.add(`account_id = ?::uuid`, tenant.accountId);
    return this;
  }

  /** The resource (a fixed id) is in a listing of the tenant's account: a one-time check, not one per row. */
  resourceOwnedBy(tenant: Tenant, resourceId: string): this {
    if (tenant.accountId !== null) {
      this.add(`EXISTS (SELECT 1 FROM resources r WHERE r.id = ? AND r.account_id = ?::uuid)`, resourceId, tenant.accountId);
    }
    return this;
  }

  toString(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

/**
 * Read side of the inventory: keyset-paginated, parameterised SQL that selects only what the views show.
 * Every list fetches limit+1 rows in the order of an index, so a page costs the same at any depth.
 */
@Injectable()
export class InventoryQueryRepository {
  private readonly pool: Pool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.pool = poolOf(dataSource);
  }

  /** Statement names by SQL text: each distinct text (a combination of filters) is one prepared statement. */
  private readonly names = new Map<string, string>();

  /**
   * Straight on the pool (no TypeORM query runner per statement), with timestamptz columns as ISO text
   * (READ_TYPES): no Date per value on the way from PostgreSQL to the answer. Prepared by name, so each pooled
   * connection plans a text once: planning was most of PostgreSQL's time for a page (e.g. 0.6 ms of 1 ms for a
   * LOS page through the los_rows view; README "Performance").
   */
  private async query<T>(sql: string, params: unknown[]): Promise<T[]> {
    let name = this.names.get(sql);
    if (name === undefined) {
      name = `read_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
      if (this.names.size < 10_000) this.names.set(sql, name);
    }
    return (await this.pool.query({ name, text: sql, values: params, types: READ_TYPES })).rows as T[];
  }

  async findLocation(tenant: Tenant, id: string): Promise<LocationView | null> {
    const where = new Where().add('id = ?', id).ownedBy(tenant);
    const [row] = await this.query<LocationRow>(`SELECT ${LOCATION_COLUMNS} FROM locations ${where}`, where.params);
    return row ? toLocationView(row) : null;
  }

  /** Ordered by id (primary key). */
  async listLocations(tenant: Tenant, q: { limit?: number; cursor?: string }): Promise<Page<LocationView>> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const after = readCursor(q.cursor, ['string'], [isKeyText]);
    const where = new Where().ownedBy(tenant);
    if (after) where.add('id > ?', after[0]);
    const rows = await this.query<LocationRow>(
      `SELECT ${LOCATION_COLUMNS} FROM locations ${where} ORDER BY id LIMIT ${where.param(limit + 1)}`, where.params);
    return toPage(rows, limit, toLocationView, (r) => [r.id]);
  }

  async findResource(tenant: Tenant, id: string): Promise<ResourceView | null> {
    const where = new Where().add('id = ?', id).ownedBy(tenant);
    const [row] = await this.query<ResourceRow>(`SELECT ${RESOURCE_COLUMNS} FROM resources ${where}`, where.params);
    return row ? toResourceView(row) : null;
  }

  async resourceExists(tenant: Tenant, id: string): Promise<boolean> {
    const where = new Where().add('id = ?', id).ownedBy(tenant);
    const rows = await this.query(`SELECT 1 FROM resources ${where}`, where.params);
    return rows.length > 0;
  }

  /**
   * The watermark is sampled in a statement of its own, before the page's statement takes its snapshot. In one
   * statement (a CTE or subquery) the snapshot comes first: a writer that commits between the snapshot and the
   * sample is in neither, and its rows below the watermark would be skipped for good (measured: about 0.2 % of
   * rows missed with six concurrent writers). Any pooled connection will do for either statement, but neither
   * may run inside an explicit transaction (a REPEATABLE READ snapshot would predate the sample).
   */
  private async commitWatermark(): Promise<string> {
    const [{ watermark }] = await this.query<{ watermark: string }>(COMMIT_WATERMARK_SQL, []);
    return watermark;
  }

  /**
   * Without updatedSince: ordered by id (primary key, or ix_resources_location_id with locationId).
   * With updatedSince: ordered by (updated_at, id) on ix_resources_updated_at_id — a change feed, served only
   * below the commit watermark, so nothing is ever handed out ahead of a row that is still to commit below it.
   */
  async listResources(tenant: Tenant, q: ResourceListQuery): Promise<Page<ResourceView>> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const where = new Where().ownedBy(tenant);
    if (q.locationId !== undefined) where.add('location_id = ?', q.locationId);
    if (q.type !== undefined) where.add('type = ?', q.type);
    if (q.provider !== undefined) where.add('provider = ?', q.provider);
    if (q.status !== undefined) where.add('status = ?', q.status);
    if (q.updatedSince === undefined) {
      const after = readCursor(q.cursor, ['string'], [isKeyText]);
      if (after) where.add('id > ?', after[0]);
      const rows = await this.query<ResourceRow>(
        `SELECT ${RESOURCE_COLUMNS} FROM resources ${where} ORDER BY id LIMIT ${where.param(limit + 1)}`, where.params);
      return toPage(rows, limit, toResourceView, (r) => [r.id]);
    }
    const since = parseZonedTimestamp(q.updatedSince) as Date;
    where.add('updated_at >= ?::timestamptz', since.toISOString());
    const after = readCursor(q.cursor, ['string', 'string'], [isKeyTime, isKeyText]);
    if (after) where.add('(updated_at, id) > (?::timestamptz, ?)', after[0], after[1]);
    where.add('updated_at < ?::timestamptz', await this.commitWatermark());
    const rows = await this.query<ResourceRow & { key_time: string }>(
      `SELECT ${RESOURCE_COLUMNS}, ${KEY_TIME('updated_at')} AS key_time FROM resources ${where}
       ORDER BY updated_at, id LIMIT ${where.param(limit + 1)}`, where.params);
    return toPage(rows, limit, toResourceView, (r) => [r.key_time, r.id]);
  }

  /**
   * Bookings of one resource in (start, id) order on ix_bookings_resource_start. A booking is in [from, to)
   * when it starts before `to` and ends after `from`; one without an end counts as the instant it starts.
   */
  async listBookings(tenant: Tenant, resourceId: string, q: BookingListQuery): Promise<Page<BookingView>> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const where = new Where().add('resource_id = ?', resourceId).resourceOwnedBy(tenant, resourceId);
    if (q.to !== undefined) where.add('starts_at < ?::timestamptz', (parseZonedTimestamp(q.to) as Date).toISOString());
    if (q.from !== undefined) {
      const from = (parseZonedTimestamp(q.from) as Date).toISOString();
      where.add('(ends_at > ?::timestamptz OR (ends_at IS NULL AND starts_at >= ?::timestamptz))', from, from);
    }
    if (q.status !== undefined) where.add('status = ?', q.status);
    const after = readCursor(q.cursor, ['string', 'string'], [isKeyTime, isUuid]);
    // The plain `starts_at >=` bound lets the index range start at the cursor.
    if (after) where.add('starts_at >= ?::timestamptz AND (starts_at, id) > (?::timestamptz, ?::uuid)', after[0], after[0], after[1]);
    const rows = await this.query<BookingRow & { key_time: string }>(
      `SELECT ${BOOKING_COLUMNS}, ${KEY_TIME('starts_at')} AS key_time FROM bookings ${where}
       ORDER BY starts_at, id LIMIT ${where.param(limit + 1)}`, where.params);
    return toPage(rows, limit, toBookingView, (r) => [r.key_time, r.id]);
  }

  /** Windows of one resource overlapping [from, to), in (start, id) order on ix_availability_resource_start. */
  async listAvailability(tenant: Tenant, resourceId: string, q: AvailabilityQuery): Promise<Page<AvailabilityWindowView>> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const where = new Where().add('resource_id = ?', resourceId).resourceOwnedBy(tenant, resourceId);
    if (q.to !== undefined) where.add('starts_at < ?::timestamptz', (parseZonedTimestamp(q.to) as Date).toISOString());
    if (q.from !== undefined) where.add('ends_at > ?::timestamptz', (parseZonedTimestamp(q.from) as Date).toISOString());
    const after = readCursor(q.cursor, ['string', 'string'], [isKeyTime, isBigintText]);
    if (after) where.add('starts_at >= ?::timestamptz AND (starts_at, id) > (?::timestamptz, ?::bigint)', after[0], after[0], after[1]);
    const rows = await this.query<AvailabilityRow & { id: string; key_time: string }>(
      `SELECT id, starts_at, ends_at, ${KEY_TIME('starts_at')} AS key_time FROM availability_windows ${where}
       ORDER BY starts_at, id LIMIT ${where.param(limit + 1)}`, where.params);
    return toPage(rows, limit, toAvailabilityView, (r) => [r.key_time, r.id]);
  }

  /** Rates of one resource in provider-id order (ix_rates_resource). */
  async listRates(tenant: Tenant, resourceId: string, q: { limit?: number; cursor?: string }): Promise<Page<RateView>> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const where = new Where().add('resource_id = ?', resourceId).resourceOwnedBy(tenant, resourceId);
    const after = readCursor(q.cursor, ['string'], [isKeyText]);
    if (after) where.add('external_id > ?', after[0]);
    const rows = await this.query<RateRow>(
      `SELECT external_id, resource_id, name, price, currency, unit, updated_at FROM rates ${where}
       ORDER BY external_id LIMIT ${where.param(limit + 1)}`, where.params);
    return toPage(rows, limit, toRateView, (r) => [r.external_id]);
  }

  /**
   * LOS cells (the view los_rows over los_days: a day row's stays unnested in order). With resourceId, or with
   * neither locationId nor channel: primary-key order (resource, channel, arrival date, length of stay). With
   * locationId or channel but no resourceId: (arrival date, resource, channel, length of stay), so
   * ix_los_days_location_arrival / ix_los_days_channel_arrival deliver days presorted by date and only one date's
   * cells are sorted per page; in primary-key order PostgreSQL would walk other locations' rows first.
   */
  async listLos(tenant: Tenant, q: LosQuery): Promise<Page<LosView>> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const byArrival = q.resourceId === undefined && (q.locationId !== undefined || q.channel !== undefined);
    const where = new Where().ownedBy(tenant);
    if (q.resourceId !== undefined) where.add('resource_id = ?', q.resourceId);
    if (q.locationId !== undefined) where.add('location_id = ?', q.locationId);
    if (q.channel !== undefined) where.add('channel = ?', q.channel);
    if (q.arrivalFrom !== undefined) where.add('arrival_date >= ?::date', q.arrivalFrom);
    if (q.arrivalTo !== undefined) where.add('arrival_date <= ?::date', q.arrivalTo);
    if (q.lengthOfStay !== undefined) where.add('length_of_stay = ?::smallint', q.lengthOfStay);
    if (q.minUnits !== undefined) where.add('units_available >= ?::int', q.minUnits);
    // The cursor names its order, so a cursor from one kind of query cannot silently misplace another.
    const tag = byArrival ? 'a' : 'r';
    const isTag = (v: unknown) => v === tag;
    const after = byArrival
      ? readCursor(q.cursor, ['string', 'string', 'string', 'string', 'number'], [isTag, isCalendarDate, isKeyText, isKeyText, isSmallint])
      : readCursor(q.cursor, ['string', 'string', 'string', 'string', 'number'], [isTag, isKeyText, isKeyText, isCalendarDate, isSmallint]);
    if (after && byArrival) {
      // The plain date bound is what the index range can use; the row comparison then filters within that date.
      where.add('arrival_date >= ?::date AND (arrival_date, resource_id, channel, length_of_stay) > (?::date, ?, ?, ?::smallint)',
        after[1], after[1], after[2], after[3], after[4]);
    } else if (after) {
      // The day bound is what the index range can use (a day holds every stay); the cell comparison filters within it.
      where.add('(resource_id, channel, arrival_date) >= (?, ?, ?::date) AND (resource_id, channel, arrival_date, length_of_stay) > (?, ?, ?::date, ?::smallint)',
        after[1], after[2], after[3], after[1], after[2], after[3], after[4]);
    }
    const order = byArrival ? 'arrival_date, resource_id, channel, length_of_stay' : 'resource_id, channel, arrival_date, length_of_stay';
    // The text date gets its own alias: named arrival_date it would shadow the column in ORDER BY and defeat the index.
    const rows = await this.query<LosRow>(
      `SELECT resource_id, channel, to_char(arrival_date, 'YYYY-MM-DD') AS arrival_day, length_of_stay, units_available, price, currency, updated_at
         FROM los_rows ${where}
        ORDER BY ${order} LIMIT ${where.param(limit + 1)}`, where.params);
    const length = (r: LosRow) => Number(r.length_of_stay);
    return toPage(rows, limit, toLosView, byArrival
      ? (r) => [tag, r.arrival_day, r.resource_id, r.channel, length(r)]
      : (r) => [tag, r.resource_id, r.channel, r.arrival_day, length(r)]);
  }
}
