import { createHash } from 'node:crypto';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { ConnectionsService } from '../../connections/connections.service';
import { EventsService } from '../../ingestion/events.service';
import { HandlerRegistry } from '../../ingestion/handler.registry';
import { IntakeService } from '../../ingestion/intake.service';
import {
  done, HandleResult, held, holdCause, ignored, InboundEvent, IntakeEnvelope, PermanentError, PRIORITY, ProviderHandler, RESYNC_EVENT, RetryableError,
} from '../../ingestion/provider-handler';
import { AvailabilityRepository } from '../../inventory/availability.repository';
import { BookingsRepository } from '../../inventory/bookings.repository';
import type { ResourceEntity } from '../../inventory/entities/resource.entity';
import { LocationsRepository } from '../../inventory/locations.repository';
import { generateResourceId } from '../../inventory/resource-id';
import { RatesRepository } from '../../inventory/rates.repository';
import { ResourcesRepository } from '../../inventory/resources.repository';
import { SyncarooApiClient, SyncarooResourceData } from './syncaroo-api.client';
import { toRateList, toRateUpsert } from './syncaroo-rate.mapper';
import { SyncarooTarget, SyncarooTargetsRepository } from './syncaroo-targets.repository';
import { parseSyncarooWebhook, SYNCED_ATTRIBUTE_TYPES, SyncarooWebhook, SyncedAttributeType } from './syncaroo-webhook.dto';
import {
  mapResourceType, PROVIDER, RESYNC_ITEM_EVENT, syncarooItemKey, toBookingUpsert, toLocationDetails, toResourceUpsert, toWindows,
} from './syncaroo.mapper';

/**
 * A write that found its location no longer mapped to the connection (it holds the mapping, so an unmapping that
 * committed after the handler's check wins): retried, and the retry is held as not mapped.
 */
const unmappedMeanwhile = () => new RetryableError('the location was unmapped meanwhile');

/** A resource a webhook refers to: ours, absent, or owned by another connection (never touched). */
type ResourceLookup = { kind: 'own'; row: ResourceEntity } | { kind: 'none' } | { kind: 'foreign' };

/**
 * Applies Syncaroo webhooks: tenant checks first (connection known and active, location mapped to it,
 * resource not another connection's), then fetch the live data from `apiUrl` and write it.
 */
@Injectable()
export class SyncarooSyncHandler implements ProviderHandler, OnModuleInit {
  readonly provider = PROVIDER;
  private readonly logger = new Logger('Syncaroo');

  constructor(
    private readonly registry: HandlerRegistry,
    private readonly connections: ConnectionsService,
    private readonly resources: ResourcesRepository,
    private readonly locations: LocationsRepository,
    private readonly bookings: BookingsRepository,
    private readonly availability: AvailabilityRepository,
    private readonly client: SyncarooApiClient,
    private readonly targets: SyncarooTargetsRepository,
    private readonly config: AppConfig,
    private readonly intake: IntakeService,
    private readonly events: EventsService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rates: RatesRepository,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async handle(event: InboundEvent): Promise<HandleResult> {
    if (event.eventType === RESYNC_EVENT) return this.resync(event);
    if (event.eventType === RESYNC_ITEM_EVENT) return this.repair(event);
    // Stored bodies are re-checked: SYNCAROO_API_URL may have changed since intake.
    const parsed = parseSyncarooWebhook(event.payload, this.config.syncarooApiUrl);
    if (!parsed.ok) {
      throw new PermanentError(`webhook no longer passes validation: ${parsed.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
    }
    const w = parsed.webhook;
    const kind = w.metaData.attributeType;
    if (!(SYNCED_ATTRIBUTE_TYPES as readonly string[]).includes(kind)) return ignored(`attributeType ${JSON.stringify(kind)} is not synced`);

    // Connection, mapping and (for `resources`) the known resource in one read; the write re-checks the mapping under its lock.
    const connection = await this.targets.find(String(w.connectionId), w.locationId, kind === 'resources' ? w.metaData.syncarooId : null);
    if (!connection) return held(`unknown connectionId ${w.connectionId}`, undefined, holdCause.external(PROVIDER, String(w.connectionId)));
    if (connection.status !== 'active') return held(`connection is ${connection.status}`, connection.id);
    // Tier 2 (CONTRACT 9.5): an unmapped listing of the connection's own account is mapped by its first webhook.
    const mapped = connection.mappedTo === connection.id
      || (connection.mappedTo === null && connection.accountId !== null && (await this.connections.autoMapOwnedLocation(connection, w.locationId)));
    if (!mapped) {
      return held(`locationId ${JSON.stringify(w.locationId)} is not mapped to this connection`, connection.id, holdCause.location(w.locationId));
    }

    switch (kind as SyncedAttributeType) {
      case 'resources':
        return this.syncResource(connection, w);
      case 'availability':
        return this.syncAvailability(connection, w);
      case 'locations':
        return this.syncLocation(connection, w);
      case 'bookings':
        return this.syncBooking(connection, w);
      case 'rates':
        return this.syncRate(connection, w);
    }
  }

  // ---- resources ----

  private async syncResource(c: SyncarooTarget, w: SyncarooWebhook): Promise<HandleResult> {
    const { syncarooId, resourceId } = w.metaData;
    const known = c.resource;
    if (!known && resourceId) {
      const byId = await this.resources.findById(resourceId);
      if (byId && (byId.provider !== PROVIDER || byId.connectionId !== c.id)) {
        return held(`resourceId ${JSON.stringify(resourceId)} belongs to another connection`, c.id);
      }
      if (byId) throw new PermanentError(`resourceId ${JSON.stringify(resourceId)} already belongs to another Syncaroo item of this connection`);
    }
    if (known && resourceId && known.id !== resourceId) {
      // Ours wins: the id was handed to Syncaroo (callback) or came from it earlier; a resource never changes id.
      this.logger.warn({ connectionId: c.id, resourceId: known.id, webhookResourceId: resourceId }, 'webhook resourceId differs from the stored resource');
    }

    if (w.action === 'unmapped') {
      if (known) await this.resources.markRemoved([known.id]);
      return done(c.id);
    }
    const data = await this.client.getResource(w.metaData.apiUrl);
    if (!data) {
      if (known) await this.resources.markRemoved([known.id]);
      return done(c.id);
    }
    const type = known?.type ?? null;
    const mapped = mapResourceType(w.metaData.resourceType) ?? mapResourceType(data.type) ?? type;
    if (!mapped) return ignored(`resourceType ${JSON.stringify(w.metaData.resourceType)} is not a synced type`, c.id);

    const id = known?.id ?? (resourceId || generateResourceId());
    // Unmapped during the fetch: nothing lands there (the write holds the mapping's share lock). The retry holds it (location not mapped).
    const written = await this.resources.upsertHoldingMapping(
      toResourceUpsert({ id, locationId: w.locationId, connectionId: c.id, externalId: syncarooId, type: mapped }, data));
    if (!written.mapped) throw unmappedMeanwhile();
    // The stored row's id (a concurrent resync may have created the row first, with its own id); read back
    // what is committed only when the write changed nothing and so returned no row.
    const savedId = written.id ?? (await this.resources.findByExternalId(PROVIDER, c.id, syncarooId))?.id;
    if (!savedId) throw new RetryableError('resource was not stored');
    // A resource JSON with a `rates` array carries its whole price list: it replaces the resource's rates unless
    // the resource still carries this list's hash (written with the rates, cleared by every other rate write).
    // Not decided by the resource row: a retry after the rates failed finds the row unchanged, and the row's
    // stored attributes are bounded (a long list is cut from them).
    const rates = toRateList(data.details.rates, syncarooId);
    if (rates) {
      const mapped = await this.rates.replaceForResource({ provider: PROVIDER, connectionId: c.id, resourceId: savedId }, rates, known?.id === savedId ? known.ratesHash : null);
      if (!mapped) throw unmappedMeanwhile();
    }
    if (w.action === 'new' && w.actionCallback) {
      // After the commit: if this fails the event retries, finds the same row by externalId and calls back again.
      await this.client.confirmMapping(w.actionCallback, savedId);
    }
    return done(c.id);
  }

  // ---- rates ----

  private async syncRate(c: SyncarooTarget, w: SyncarooWebhook): Promise<HandleResult> {
    const lookup = await this.resourceOf(c, w);
    if (lookup.kind === 'foreign') return held(`resourceId ${JSON.stringify(w.metaData.resourceId)} belongs to another connection`, c.id);
    const data = await this.client.getRate(w.metaData.apiUrl);
    if (!data) {
      await this.rates.remove(PROVIDER, c.id, w.metaData.syncarooId);
      return done(c.id);
    }
    // Its resource arrives through a `resources` event (another item): retry until then.
    if (lookup.kind === 'none') throw new RetryableError('the resource of this rate is not synced yet');
    const rate = toRateUpsert(data, w.metaData.syncarooId);
    if (!rate) throw new PermanentError('the Syncaroo rate has no usable id or unit (hour, half-day, day, week, month)');
    if (!(await this.rates.upsert({ provider: PROVIDER, connectionId: c.id, resourceId: lookup.row.id }, rate))) throw unmappedMeanwhile();
    return done(c.id);
  }

  // ---- availability ----

  private async syncAvailability(c: SyncarooTarget, w: SyncarooWebhook): Promise<HandleResult> {
    const lookup = await this.resourceOf(c, w);
    if (lookup.kind === 'foreign') return held(`resourceId ${JSON.stringify(w.metaData.resourceId)} belongs to another connection`, c.id);
    // Its resource arrives through a `resources` event (other partition if the ids differ): retry until then.
    if (lookup.kind === 'none') throw new RetryableError('the resource of this availability is not synced yet');
    const data = await this.client.getAvailability(w.metaData.apiUrl);
    // Gone upstream = nothing bookable.
    await this.availability.replaceForResource(lookup.row.id, c.id, toWindows(data ?? []));
    return done(c.id);
  }

  // ---- locations ----

  private async syncLocation(c: SyncarooTarget, w: SyncarooWebhook): Promise<HandleResult> {
    const data = await this.client.getLocation(w.metaData.apiUrl);
    if (!data) return ignored('location not found at apiUrl', c.id);
    const details = toLocationDetails(data);
    const current = await this.locations.findById(w.locationId);
    await this.locations.updateDetails(w.locationId, { name: details.name ?? current?.name ?? null, timezone: details.timezone });
    return done(c.id);
  }

  // ---- bookings ----

  private async syncBooking(c: SyncarooTarget, w: SyncarooWebhook): Promise<HandleResult> {
    const lookup = await this.resourceOf(c, w);
    if (lookup.kind === 'foreign') return held(`resourceId ${JSON.stringify(w.metaData.resourceId)} belongs to another connection`, c.id);
    const externalId = w.metaData.syncarooId;
    const data = await this.client.getBooking(w.metaData.apiUrl);
    if (!data) {
      await this.bookings.cancel(PROVIDER, c.id, externalId);
      return done(c.id);
    }
    if (lookup.kind === 'none') throw new RetryableError('the resource of this booking is not synced yet');
    const booking = toBookingUpsert({ resourceId: lookup.row.id, connectionId: c.id, externalId }, data);
    if (!booking) throw new PermanentError('the Syncaroo booking has no valid start time');
    await this.bookings.upsert(booking);
    return done(c.id);
  }

  /**
   * The resource an availability/booking webhook is about: by our `resourceId`, else by the Syncaroo id
   * (availability: `syncarooId`; both: the `/resources/{id}` segment of `apiUrl`).
   */
  private async resourceOf(c: SyncarooTarget, w: SyncarooWebhook): Promise<ResourceLookup> {
    const { resourceId, syncarooId, attributeType, apiUrl } = w.metaData;
    if (resourceId) {
      const row = await this.resources.findById(resourceId);
      if (row && (row.provider !== PROVIDER || row.connectionId !== c.id)) return { kind: 'foreign' };
      if (row) return { kind: 'own', row };
    }
    const refs = [attributeType === 'availability' ? syncarooId : null, this.client.resourceRefOf(apiUrl)];
    for (const ref of refs) {
      if (!ref) continue;
      const row = await this.resources.findByExternalId(PROVIDER, c.id, ref);
      if (row) return { kind: 'own', row };
    }
    return { kind: 'none' };
  }

  // ---- resync ----

  /**
   * Re-reads every mapped location's resource list and queues one repair per resource in that resource's
   * own partition: listed ones to upsert from the list, ours missing from it to remove. So a repair runs in
   * order with the webhooks of its item, and is dropped when a webhook about the item arrived after the list
   * was read (the webhook is newer news). Nothing is written here.
   */
  private async resync(event: InboundEvent): Promise<HandleResult> {
    const connectionId = event.connectionId ?? (event.payload.connectionId as string | undefined);
    const c = connectionId ? await this.connections.findById(connectionId) : null;
    if (!c || c.provider !== PROVIDER || !c.externalId) return ignored('no such Syncaroo connection');
    if (c.status !== 'active') return held(`connection is ${c.status}`, c.id);
    const repairs: IntakeEnvelope[] = [];
    for (const mapping of await this.connections.mappingsOf(c.id)) {
      // The database's clock, the one that stamps received_at, taken before the list is requested.
      const [{ now: listedAt }] = (await this.dataSource.query(`SELECT now() AS now`)) as Array<{ now: Date }>;
      const listed = await this.client.listLocationResources(c.externalId, mapping.externalId ?? mapping.locationId);
      if (!listed) {
        // Unknown upstream is not "empty": removing everything on a wrong mapping would be worse than waiting.
        this.logger.warn({ connectionId: c.id, locationId: mapping.locationId }, 'resync: location not found upstream, left as is');
        continue;
      }
      const seen = new Set<string>();
      const repair = (syncarooId: string, resource: SyncarooResourceData | null): IntakeEnvelope => ({
        provider: PROVIDER,
        eventType: RESYNC_ITEM_EVENT,
        connectionId: c.id,
        partitionKey: syncarooItemKey(c.externalId!, syncarooId),
        priority: PRIORITY.critical,
        idempotencyKey: `resync:${event.id}:${createHash('sha256').update(`${mapping.locationId}\n${syncarooId}`).digest('hex')}`,
        payload: { connectionId: c.id, locationId: mapping.locationId, syncarooId, listedAt: listedAt.toISOString(), resource },
      });
      for (const data of listed) {
        if (!data.id || seen.has(data.id)) continue;
        seen.add(data.id);
        repairs.push(repair(data.id, data));
      }
      for (const r of await this.resources.findByLocation(mapping.locationId)) {
        if (r.provider === PROVIDER && r.connectionId === c.id && r.status === 'active' && !seen.has(r.externalId)) repairs.push(repair(r.externalId, null));
      }
    }
    await this.intake.enqueue(repairs);
    return done(c.id);
  }

  /** One resource as the resync listed it (`resource`), or missing from the list (`null`). */
  private async repair(event: InboundEvent): Promise<HandleResult> {
    const p = event.payload as { connectionId: string; locationId: string; syncarooId: string; listedAt: string; resource: SyncarooResourceData | null };
    const c = await this.connections.findById(p.connectionId);
    if (!c || c.provider !== PROVIDER) return ignored('the connection is gone');
    if (c.status !== 'active') return held(`connection is ${c.status}`, c.id);
    if (await this.events.itemChangedSince(event.id, new Date(p.listedAt), [RESYNC_ITEM_EVENT])) {
      return ignored('a webhook about this resource arrived after the list was read: the list is older news', c.id);
    }
    const existing = await this.resources.findByExternalId(PROVIDER, c.id, p.syncarooId);
    if (!p.resource) {
      if (existing && existing.status === 'active' && existing.locationId === p.locationId) await this.resources.markRemoved([existing.id]);
      return done(c.id);
    }
    // The webhook's resourceType is the documented source of a type; the list only fills gaps.
    const type = existing?.type ?? mapResourceType(p.resource.type);
    if (!type) return ignored(`resource type ${JSON.stringify(p.resource.type)} is not a synced type`, c.id);
    const row = toResourceUpsert({ id: existing?.id ?? generateResourceId(), locationId: p.locationId, connectionId: c.id, externalId: p.syncarooId, type }, p.resource);
    await this.dataSource.transaction(async (m) => {
      // Unmapped since the list was read: nothing lands there.
      if (!(await this.connections.holdsMapping(c.id, p.locationId, m))) return;
      await this.resources.upsertMany([row], m);
    });
    return done(c.id);
  }
}
