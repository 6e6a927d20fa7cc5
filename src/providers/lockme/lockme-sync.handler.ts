import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ConnectionsService } from '../../connections/connections.service';
import { AppConfig } from '../../config/app-config';
import { HandlerRegistry } from '../../ingestion/handler.registry';
import {
  done, HandleResult, held, ignored, InboundEvent, PermanentError, ProviderHandler, RESYNC_EVENT, RetryableError,
} from '../../ingestion/provider-handler';
import { BookingsRepository } from '../../inventory/bookings.repository';
import type { BookingStatus } from '../../inventory/entities/booking.entity';
import { ResourceEntity } from '../../inventory/entities/resource.entity';
import { LocationsRepository } from '../../inventory/locations.repository';
import { generateResourceId } from '../../inventory/resource-id';
import { ResourcesRepository } from '../../inventory/resources.repository';
import { LockmeApiClient, LockmeGrantRejectedError, LockmeMessage, LockmeReservation, LockmeRoom } from './lockme-api.client';
import { LockmeRoomsCache } from './lockme-rooms.cache';
import { LockmeNotConnectedError, LockmeTokenStore } from './lockme-token.store';
import { effectiveTimeZone, localDate, pickLocation, toBookingFields, toRoomResource } from './lockme.mapper';
import { wallTimeToUtc } from './zoned-time';

/** eventType of a Lockme webhook (payload `{messageId}`). */
export const LOCKME_MESSAGE_EVENT = 'lockme.message';

/** Parallel reservation reads during resync (rooms × days calls must fit in the handler timeout). */
const RESYNC_CONCURRENCY = 4;

type Applied = { kind: 'applied' } | { kind: 'ignored'; reason: string } | { kind: 'held'; reason: string };
const APPLIED: Applied = { kind: 'applied' };

interface RoomPlacement {
  resourceId: string;
  locationId: string;
}

/** Lockme message ids increase per account: everything of one connection stays in order. */
export const lockmePartitionKey = (connectionId: string) => `lockme:${connectionId}`;

/**
 * Lockme messages: GET the message → apply it in one transaction → commit → POST the acknowledgement.
 * The acknowledgement comes last on purpose: if it fails the event is retried, re-applies idempotently
 * (same booking row, nothing changes) and acknowledges again; Lockme re-sends unacknowledged messages.
 */
@Injectable()
export class LockmeSyncHandler implements ProviderHandler, OnModuleInit {
  readonly provider = 'lockme' as const;
  private readonly logger = new Logger('LockmeSync');

  constructor(
    private readonly registry: HandlerRegistry,
    private readonly connections: ConnectionsService,
    private readonly tokens: LockmeTokenStore,
    private readonly api: LockmeApiClient,
    private readonly rooms: LockmeRoomsCache,
    private readonly locations: LocationsRepository,
    private readonly resources: ResourcesRepository,
    private readonly bookings: BookingsRepository,
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async handle(event: InboundEvent): Promise<HandleResult> {
    const connectionId = event.connectionId ?? (typeof event.payload.connectionId === 'string' ? event.payload.connectionId : null);
    if (!connectionId) return ignored('event carries no Lockme connection');
    const connection = await this.connections.findById(connectionId);
    if (!connection || connection.provider !== 'lockme') return ignored('the Lockme connection no longer exists');
    if (connection.status === 'disabled') return held('connection is disabled', connectionId);
    if (connection.status === 'revoked') return held('connection is revoked: connect it again', connectionId);
    try {
      if (event.eventType === RESYNC_EVENT) return await this.resync(connectionId);
      if (event.eventType !== LOCKME_MESSAGE_EVENT) return ignored(`unknown event type ${event.eventType}`, connectionId);
      return await this.handleMessage(connectionId, String(event.payload.messageId));
    } catch (e) {
      // Both wait for an admin action (connect flow or PATCH credentials), which releases held events.
      if (e instanceof LockmeNotConnectedError) return held(`not connected: ${e.message}`, connectionId);
      if (e instanceof LockmeGrantRejectedError) return held(`${e.message}: connect the connection again`, connectionId);
      throw e;
    }
  }

  /** Messages and resyncs of one account apply in one line, so a resync never overwrites a newer message. */
  resyncPartitionKey(connectionId: string): string {
    return lockmePartitionKey(connectionId);
  }

  /** A re-delivered message whose event is done: Lockme did not get our acknowledgement, send it again. */
  async onDuplicateOfDone(event: InboundEvent): Promise<void> {
    if (event.eventType !== LOCKME_MESSAGE_EVENT || !event.connectionId) return;
    await this.acknowledge(event.connectionId, String(event.payload.messageId));
  }

  // ---- messages ----

  private async handleMessage(connectionId: string, messageId: string): Promise<HandleResult> {
    if (!/^\d{1,20}$/.test(messageId)) return ignored('payload has no valid messageId', connectionId);
    const message = await this.tokens.withAccessToken(connectionId, (t) => this.api.getMessage(t, messageId));
    if (!message) return ignored(`Lockme has no message ${messageId} (404)`, connectionId);
    const outcome = await this.apply(connectionId, message);
    // Not acknowledged while held: Lockme keeps the message, and we re-read it when the hold is released.
    if (outcome.kind === 'held') return held(outcome.reason, connectionId);
    await this.acknowledge(connectionId, messageId);
    return outcome.kind === 'ignored' ? ignored(outcome.reason, connectionId) : done(connectionId);
  }

  private async acknowledge(connectionId: string, messageId: string): Promise<void> {
    try {
      await this.tokens.withAccessToken(connectionId, (t) => this.api.ackMessage(t, messageId));
    } catch (e) {
      const what = `marking Lockme message ${messageId} read failed (the change itself is committed)`;
      if (e instanceof RetryableError) throw new RetryableError(`${what}: ${e.message}`, e.retryAfterMs);
      if (e instanceof PermanentError) throw new PermanentError(`${what}: ${e.message}`);
      throw e;
    }
  }

  private async apply(connectionId: string, message: LockmeMessage): Promise<Applied> {
    switch (message.action) {
      case 'test':
        return APPLIED;
      case 'add':
      case 'edit':
        return this.upsertBooking(connectionId, message, undefined);
      case 'delete':
        return this.cancelBooking(connectionId, message);
      default:
        return { kind: 'ignored', reason: `unknown Lockme action ${JSON.stringify(message.action).slice(0, 50)}` };
    }
  }

  private async cancelBooking(connectionId: string, message: LockmeMessage): Promise<Applied> {
    const reservationId = message.reservationId ?? message.data?.reservationId;
    if (!reservationId) return { kind: 'ignored', reason: 'delete message without reservationid' };
    if (await this.bookings.cancel('lockme', connectionId, reservationId)) return APPLIED;
    // Never seen (e.g. it was added before the connection existed): record it cancelled when the message
    // says enough; otherwise there is nothing to cancel.
    if (!message.data?.date || !message.data.hour) return APPLIED;
    const r = await this.upsertBooking(connectionId, message, 'cancelled');
    return r.kind === 'held' ? APPLIED : r;
  }

  private async upsertBooking(connectionId: string, message: LockmeMessage, statusOverride: BookingStatus | undefined): Promise<Applied> {
    const data = message.data;
    const reservationId = message.reservationId ?? data?.reservationId;
    const roomId = data?.roomId ?? message.roomId;
    if (!data || !reservationId || !roomId) return { kind: 'ignored', reason: `${message.action} message without reservationid, roomid or data` };
    const mappings = await this.connections.mappingsOf(connectionId);
    const room = await this.rooms.find(connectionId, roomId);
    return this.dataSource.transaction(async (m) => {
      const placement = await this.placeRoom(m, connectionId, roomId, room, mappings);
      if (!placement) return { kind: 'held', reason: 'no location mapped to this Lockme connection' } as Applied;
      const timeZone = await this.timeZoneOf(placement.locationId, m);
      const mapped = toBookingFields(data, timeZone, statusOverride);
      if (!mapped.ok) return { kind: 'ignored', reason: mapped.reason } as Applied;
      await this.bookings.upsert({
        ...mapped.booking, endsAt: null, resourceId: placement.resourceId, connectionId, provider: 'lockme', externalId: reservationId,
      }, m);
      return APPLIED;
    });
  }

  /**
   * The resource of a Lockme room: created on first sight (type `room`) in the connection's location for the
   * room's department (else its first mapping); an existing one stays where it is while that location is mapped
   * to the connection (renamed if Lockme renamed it), else it is placed like a new one. The location's mapping
   * is share-locked until the caller's transaction ends (an unmapping waits, then retires it). Null when the
   * connection has no location mapped.
   */
  private async placeRoom(
    m: EntityManager, connectionId: string, roomId: string, room: LockmeRoom | null, mappings: Awaited<ReturnType<ConnectionsService['mappingsOf']>>,
  ): Promise<RoomPlacement | null> {
    const existing = await this.resources.findByExternalId('lockme', connectionId, roomId, m);
    // A room left in a location since unmapped (its resource retired there) is placed again like a new one.
    if (existing && await this.connections.holdsMapping(connectionId, existing.locationId, m)) {
      if (room) {
        await this.resources.upsert(toRoomResource(room, { id: existing.id, locationId: existing.locationId, connectionId }), m);
      } else if (existing.status === 'removed') {
        // A booking proves the room exists again; without a fresh room list keep what we knew about it.
        await this.resources.upsert({ ...toRoomResource({ roomId, name: existing.name, department: null }, { id: existing.id, locationId: existing.locationId, connectionId }), attributes: existing.attributes }, m);
      }
      return { resourceId: existing.id, locationId: existing.locationId };
    }
    const locationId = pickLocation(mappings, room?.department ?? null);
    if (!locationId) return null;
    if (!(await this.connections.holdsMapping(connectionId, locationId, m))) throw new RetryableError('the location mappings of this Lockme connection changed meanwhile');
    const placed = toRoomResource(room ?? { roomId, name: existing?.name ?? null, department: null }, { id: existing?.id ?? generateResourceId(), locationId, connectionId });
    await this.resources.upsert(room || !existing ? placed : { ...placed, attributes: existing.attributes }, m);
    // Another writer (a resync) may have created it first with its own id: use the row that exists.
    const row = await this.resources.findByExternalId('lockme', connectionId, roomId, m);
    return { resourceId: row!.id, locationId: row!.locationId };
  }

  private async timeZoneOf(locationId: string, m?: EntityManager): Promise<string> {
    const location = await this.locations.findById(locationId, m);
    return effectiveTimeZone(location?.timezone);
  }

  // ---- resync ----

  /**
   * Rooms from `GET /rooms` become the connection's room resources (unlisted ones `removed`); then each room's
   * reservations for the next RESYNC_DAYS local days are upserted, and bookings in that window that Lockme no
   * longer lists are cancelled (missed `delete` messages). A room with a day Lockme answers 404 for gets its
   * listed reservations applied but nothing cancelled.
   */
  private async resync(connectionId: string): Promise<HandleResult> {
    const mappings = await this.connections.mappingsOf(connectionId);
    if (mappings.length === 0) return held('no location mapped to this Lockme connection', connectionId);
    const rooms = await this.tokens.withAccessToken(connectionId, (t) => this.api.listRooms(t));
    this.rooms.remember(connectionId, rooms);

    const placements = await this.dataSource.transaction(async (m) => {
      const repo = m.getRepository(ResourceEntity);
      const known = await repo.find({ where: { provider: 'lockme', connectionId } });
      const byExternal = new Map(known.map((r) => [r.externalId, r]));
      // A room stays in its location while that is mapped to this connection; else it goes where a new one would.
      const mapped = new Set(mappings.map((x) => x.locationId));
      const rows = rooms.map((room) => {
        const ex = byExternal.get(room.roomId);
        const locationId = ex && mapped.has(ex.locationId) ? ex.locationId : pickLocation(mappings, room.department)!;
        return toRoomResource(room, { id: ex?.id ?? generateResourceId(), locationId, connectionId });
      });
      for (const locationId of new Set(rows.map((r) => r.locationId))) {
        if (!(await this.connections.holdsMapping(connectionId, locationId, m))) throw new RetryableError('the location mappings of this Lockme connection changed meanwhile');
      }
      await this.resources.upsertMany(rows, m);
      const listed = new Set(rooms.map((r) => r.roomId));
      await this.resources.markRemoved(known.filter((r) => !listed.has(r.externalId) && r.status === 'active').map((r) => r.id), m);
      const after = await repo.find({ where: { provider: 'lockme', connectionId } });
      return new Map(after.filter((r) => listed.has(r.externalId)).map((r) => [r.externalId, { resourceId: r.id, locationId: r.locationId }]));
    });

    const days = this.config.env.RESYNC_DAYS;
    const now = new Date();
    let bookingsSeen = 0;
    let cancelled = 0;
    const incomplete: string[] = [];
    for (const room of rooms) {
      const placement = placements.get(room.roomId)!;
      const timeZone = await this.timeZoneOf(placement.locationId);
      const dates = Array.from({ length: days }, (_, i) => localDate(now, timeZone, i));
      const perDay = await mapLimit(dates, RESYNC_CONCURRENCY, (date) =>
        this.tokens.withAccessToken(connectionId, (t) => this.api.listReservations(t, room.roomId, date)));
      // A day Lockme has no listing for (404) leaves this room's picture incomplete: what was listed is
      // applied, but nothing of this room is cancelled. The other rooms go on.
      const complete = perDay.every((list) => list !== null);
      if (!complete) incomplete.push(room.roomId);
      const listed = perDay.filter((list): list is LockmeReservation[] => list !== null).flat();
      await this.dataSource.transaction(async (m) => {
        for (const r of listed) {
          const mapped = toBookingFields(r, timeZone);
          if (!mapped.ok) continue;
          await this.bookings.upsert({
            ...mapped.booking, endsAt: null, resourceId: placement.resourceId, connectionId, provider: 'lockme', externalId: r.reservationId!,
          }, m);
          bookingsSeen += 1;
        }
        const from = wallTimeToUtc(dates[0], '00:00:00', timeZone)!;
        const to = wallTimeToUtc(localDate(now, timeZone, days), '00:00:00', timeZone)!;
        if (complete) cancelled += await this.cancelUnlisted(m, connectionId, placement.resourceId, from, to, listed.map((r) => r.reservationId!));
      });
    }
    if (incomplete.length > 0) {
      this.logger.warn({ connectionId, rooms: incomplete.slice(0, 20) }, 'Lockme answered 404 for some reservation days: nothing cancelled in those rooms');
    }
    this.logger.log({ connectionId, rooms: rooms.length, bookings: bookingsSeen, cancelled, days, incompleteRooms: incomplete.length }, 'Lockme resync done');
    return done(connectionId);
  }

  private async cancelUnlisted(m: EntityManager, connectionId: string, resourceId: string, from: Date, to: Date, listedIds: string[]): Promise<number> {
    const res = await m.query(
      `UPDATE bookings SET status = 'cancelled', updated_at = now()
        WHERE provider = 'lockme' AND connection_id = $1 AND resource_id = $2 AND status <> 'cancelled'
          AND starts_at >= $3 AND starts_at < $4 AND NOT (external_id = ANY($5::varchar[]))`,
      [connectionId, resourceId, from, to, listedIds],
    );
    return (res as [unknown[], number])[1] ?? 0;
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return results;
}
