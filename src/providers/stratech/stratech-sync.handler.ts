import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ConnectionsService } from '../../connections/connections.service';
import type { ConnectionEntity } from '../../connections/entities/connection.entity';
import type { LocationMappingEntity } from '../../connections/entities/location-mapping.entity';
import { HandlerRegistry } from '../../ingestion/handler.registry';
import {
  done, HandleResult, held, holdCause, ignored, InboundEvent, PermanentError, ProviderHandler, RESYNC_EVENT,
} from '../../ingestion/provider-handler';
import { RetryableError } from '../../ingestion/provider-handler';
import { LosRepository } from '../../inventory/los.repository';
import { generateResourceId } from '../../inventory/resource-id';
import { ResourcesRepository } from '../../inventory/resources.repository';
import { StratechApiClient, StratechGrantRejectedError, StratechLosDataset } from './stratech-api.client';
import { hashCode, StratechCredentials, StratechTokenStore } from './stratech-token.store';
import {
  CodeCreatedData, LosCreatedData, LosUpdatedData, RevokedData, STRATECH_EVENTS, validateEventData,
} from './stratech-webhook.validator';
import { productsOf, StratechMappingError, toAccommodation, toLosCells, toUnitPatches } from './stratech.mapper';

interface LosTarget {
  connection: ConnectionEntity & { externalId: string };
  mapping: LocationMappingEntity;
}

/**
 * Applies Stratech events. Authorization events run per organization; LOS events per (organization,
 * resort, channel), in the order received, so a partial always lands after the dataset before it.
 */
@Injectable()
export class StratechSyncHandler implements ProviderHandler, OnModuleInit {
  readonly provider = 'stratech' as const;
  private readonly logger = new Logger('Stratech');

  constructor(
    private readonly registry: HandlerRegistry,
    private readonly connections: ConnectionsService,
    private readonly tokens: StratechTokenStore,
    private readonly client: StratechApiClient,
    private readonly resources: ResourcesRepository,
    private readonly los: LosRepository,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  /** A full dataset is tens of megabytes to fetch (DATASET_TIMEOUT_MS) and hundreds of thousands of rows to write. */
  timeoutFor(event: InboundEvent): number | undefined {
    return event.eventType === STRATECH_EVENTS.losCreated ? 180_000 : undefined;
  }

  async handle(event: InboundEvent): Promise<HandleResult> {
    if (event.eventType === RESYNC_EVENT) {
      // Stratech pushes datasets; there is no endpoint we know of that lists them to pull again.
      return ignored('stratech has no listing API; datasets arrive by webhook', event.connectionId ?? undefined);
    }
    const data = event.payload?.eventData as Record<string, unknown> | undefined;
    if (!data || typeof data !== 'object') throw new PermanentError('stored Stratech event has no eventData');
    const errors = validateEventData(event.eventType, data);
    if (errors.length > 0) throw new PermanentError(`stored ${event.eventType} event is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
    switch (event.eventType) {
      case STRATECH_EVENTS.codeCreated:
        return this.authorize(data as unknown as CodeCreatedData);
      case STRATECH_EVENTS.revoked:
        return this.revoke(data as unknown as RevokedData);
      case STRATECH_EVENTS.losCreated:
        return this.loadDataset(data as unknown as LosCreatedData);
      case STRATECH_EVENTS.losUpdated:
        return this.applyPartial(data as unknown as LosUpdatedData);
      default:
        return ignored(`unknown Stratech event type ${JSON.stringify(event.eventType.slice(0, 100))}`);
    }
  }

  // ---- authorization ----

  private async authorize(data: CodeCreatedData): Promise<HandleResult> {
    const org = data.organizationReference;
    const codeHash = hashCode(data.code);
    const existing = await this.connections.findByExternalId('stratech', org);
    if (existing && existing.status !== 'revoked') {
      const creds = (await this.connections.getCredentials(existing.id)) as StratechCredentials | null;
      // A re-delivered event: the code is single-use, exchanging it again would only fail.
      if (creds?.codeHash === codeHash) return ignored('authorization code already exchanged', existing.id);
    }
    const tokens = await this.client.exchangeCode(org, data.code, data.redirectUri ?? undefined);
    if (!tokens.refreshToken) throw new PermanentError('Stratech authorization code exchange: the answer has no refresh_token');
    const credentials: StratechCredentials = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: tokens.expiresAt, codeHash };
    // CONTRACT.md section 5: the connection becomes active, whatever it was (pending, disabled, revoked).
    // Releases the events held for want of a (working) authorization.
    const connection = await this.connections.activateWithCredentials('stratech', org, credentials);
    this.logger.log({ connectionId: connection.id, previous: existing?.status ?? 'none' }, 'stratech organization authorized');
    return done(connection.id);
  }

  private async revoke(data: RevokedData): Promise<HandleResult> {
    const connection = await this.connections.findByExternalId('stratech', data.organizationReference);
    if (!connection) return ignored('unknown organization: nothing to revoke');
    if (connection.status === 'revoked') return ignored('connection already revoked', connection.id);
    await this.connections.revoke(connection.id);
    this.logger.log({ connectionId: connection.id }, 'stratech authorization revoked; tokens erased');
    return done(connection.id);
  }

  // ---- LOS ----

  /** The connection and location for a LOS event, or why it cannot apply (yet). */
  private async target(org: string, resort: string): Promise<LosTarget | HandleResult> {
    const connection = await this.connections.findByExternalId('stratech', org);
    if (!connection) return held('unknown organization: waiting for its authorization', undefined, holdCause.external('stratech', org));
    if (connection.status === 'revoked') return ignored('connection revoked', connection.id);
    if (connection.status === 'disabled') return held('connection disabled', connection.id);
    if (connection.status !== 'active') return held('connection not authorized yet', connection.id);
    const mapping = await this.connections.findMappingByExternalId(connection.id, resort);
    if (!mapping) return held(`resort ${JSON.stringify(resort)} is not mapped to a location`, connection.id);
    return { connection: connection as LosTarget['connection'], mapping };
  }

  private async fetchDataset(t: LosTarget, channel: string, key: string): Promise<StratechLosDataset | null> {
    const conn = { id: t.connection.id, externalId: t.connection.externalId };
    let token = await this.tokens.accessToken(conn);
    let res = await this.client.getLosDataset(token, channel, key);
    if (res.status === 'unauthorized') {
      token = await this.tokens.accessToken(conn, token);
      res = await this.client.getLosDataset(token, channel, key);
      if (res.status === 'unauthorized') throw new PermanentError('Stratech LOS dataset: a freshly refreshed organization token was refused (401)');
    }
    return res.status === 'ok' ? res.dataset : null;
  }

  private async loadDataset(data: LosCreatedData): Promise<HandleResult> {
    const t = await this.target(data.organizationReference, data.resortReference);
    if (!('connection' in t)) return t;
    const connectionId = t.connection.id;
    let dataset: StratechLosDataset | null;
    try {
      dataset = await this.fetchDataset(t, data.channelReference, data.key);
    } catch (e) {
      // The refresh token was revoked or expired at Stratech: wait for the organization to authorize again.
      if (e instanceof StratechGrantRejectedError) return held('Stratech refused the refresh token: waiting for a new authorization', connectionId);
      throw e;
    }
    // A dataset Stratech no longer has was superseded by a newer one, whose own event follows.
    if (!dataset) return ignored(`LOS dataset ${JSON.stringify(data.key)} not found at Stratech (superseded or expired)`, connectionId);
    const started = Date.now();
    let rows = 0;
    try {
      await this.dataSource.transaction(async (m) => {
        // Unmapped during the fetch: the dataset must not land there. The retry holds it (resort not mapped).
        if (!(await this.connections.holdsMapping(connectionId, t.mapping.locationId, m))) throw new RetryableError('the resort was unmapped meanwhile');
        const idOf = await this.ensureResources(m, t, productsOf(dataset.products), true);
        const cells = toLosCells(dataset, (productId) => idOf.get(productId)!);
        rows = cells.length;
        await this.los.replaceDataset(m, {
          locationId: t.mapping.locationId,
          channel: data.channelReference,
          connectionId,
          datasetKey: data.key,
          currency: dataset.currency ? dataset.currency.toUpperCase() : null,
        }, cells);
      });
    } catch (e) {
      if (e instanceof StratechMappingError) throw new PermanentError(`Stratech LOS dataset ${JSON.stringify(data.key)}: ${e.message}`);
      throw e;
    }
    this.logger.log({ connectionId, locationId: t.mapping.locationId, channel: data.channelReference, rows, ms: Date.now() - started }, 'stratech LOS dataset loaded');
    return done(connectionId);
  }

  private async applyPartial(data: LosUpdatedData): Promise<HandleResult> {
    const t = await this.target(data.organizationReference, data.resortReference);
    if (!('connection' in t)) return t;
    const connectionId = t.connection.id;
    const locationId = t.mapping.locationId;
    return this.dataSource.transaction(async (m) => {
      if (!(await this.connections.holdsMapping(connectionId, locationId, m))) throw new RetryableError('the resort was unmapped meanwhile');
      const current = await this.los.currentDatasetKey(locationId, data.channelReference, m);
      if (current !== null && current !== data.losKey) {
        return ignored(`stale losKey: ${JSON.stringify(data.losKey)} is not the loaded dataset ${JSON.stringify(current)}`, connectionId);
      }
      const idOf = await this.ensureResources(m, t, productsOf(data.products), false);
      const patches = toUnitPatches(data.products, (productId) => idOf.get(productId)!);
      await this.los.patchUnits(m, { locationId, channel: data.channelReference, connectionId }, patches);
      return done(connectionId);
    });
  }

  /**
   * productId → resource id, creating the `accommodation` resources not seen yet. With `refresh`, known
   * ones are upserted too (name, location); partials only create, they carry no names, and place again a
   * known one that is `removed` or in another location (e.g. retired by an unmapping), keeping its name.
   */
  private async ensureResources(
    m: EntityManager,
    t: LosTarget,
    products: Array<{ externalId: string; name: string | null }>,
    refresh: boolean,
  ): Promise<Map<string, string>> {
    const ids = products.map((p) => p.externalId);
    const known = new Map((await this.resources.findByExternalIds('stratech', t.connection.id, ids, m)).map((r) => [r.externalId, r]));
    const writes = products
      .filter((p) => {
        const r = known.get(p.externalId);
        return refresh || !r || r.status === 'removed' || r.locationId !== t.mapping.locationId;
      })
      .map((p) => {
        const existing = known.get(p.externalId);
        return toAccommodation(p, {
          id: existing?.id ?? generateResourceId(),
          locationId: t.mapping.locationId,
          connectionId: t.connection.id,
          existingName: existing?.name ?? null,
        });
      });
    if (writes.length === 0) return new Map([...known].map(([ext, r]) => [ext, r.id]));
    await this.resources.upsertMany(writes, m);
    // Read back: a concurrent dataset of another channel may have created the same product first.
    const after = await this.resources.findByExternalIds('stratech', t.connection.id, ids, m);
    return new Map(after.map((r) => [r.externalId, r.id]));
  }
}
