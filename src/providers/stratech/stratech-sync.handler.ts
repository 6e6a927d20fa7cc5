import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ConnectionsService } from '../../connections/connections.service';
import type { ConnectionEntity } from '../../connections/entities/connection.entity';
import type { LocationMappingEntity } from '../../connections/entities/location-mapping.entity';
import { handlerContext } from '../../ingestion/handler-context';
import { HandlerRegistry } from '../../ingestion/handler.registry';
import {
  done, HandleResult, held, holdCause, ignored, InboundEvent, PermanentError, ProviderHandler, RESYNC_EVENT,
} from '../../ingestion/provider-handler';
import { RetryableError } from '../../ingestion/provider-handler';
import { ResourceEntity } from '../../inventory/entities/resource.entity';
import { LosDatasetWriter, LosRepository } from '../../inventory/los.repository';
import { generateResourceId } from '../../inventory/resource-id';
import { ResourcesRepository } from '../../inventory/resources.repository';
import { DatasetScalars, LosParseThread } from './los-parse.thread';
import { LosDatasetBody, StratechApiClient, StratechGrantRejectedError } from './stratech-api.client';
import { hashCode, StratechCredentials, StratechTokenStore } from './stratech-token.store';
import {
  CodeCreatedData, LosCreatedData, LosUpdatedData, RevokedData, STRATECH_EVENTS, validateEventData,
} from './stratech-webhook.validator';
import {
  NOT_A_SCALAR, ProductCells, productsOf, StratechMappingError, toAccommodation, toUnitPatches,
} from './stratech.mapper';

interface LosTarget {
  connection: ConnectionEntity & { externalId: string };
  mapping: LocationMappingEntity;
}

/**
 * Full datasets loading at once in one process; the others wait for a slot (their handler time runs). Each
 * holds a pool connection in one long transaction and keeps about one core busy (parsing here, writing in
 * PostgreSQL), so more at once would only slow each down and starve the read API.
 */
export const MAX_CONCURRENT_DATASETS = 2;

/** Chunks of a dataset handed to its parser thread and not answered yet: the parser works while products are written. */
const CHUNKS_AHEAD = 4;

/** A counting semaphore whose waiters give up when their handler is aborted. */
export class Slots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {}

  get busy(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with the release of the slot (call it once, in `finally`). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.active < this.size) {
      this.active += 1;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(wake);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new RetryableError(`waited for one of the ${this.size} dataset load slots until the handler timed out`));
      };
      if (signal?.aborted) return onAbort();
      this.waiting.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    // The releasing holder handed its slot over: `active` stays as it is.
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    };
  }
}

/**
 * Applies Stratech events. Authorization events run per organization; LOS events per (organization,
 * resort, channel), in the order received, so a partial always lands after the dataset before it.
 */
function currencyOf(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v.toUpperCase() : null;
}

@Injectable()
export class StratechSyncHandler implements ProviderHandler, OnModuleInit {
  readonly provider = 'stratech' as const;
  private readonly logger = new Logger('Stratech');
  private readonly datasetSlots = new Slots(MAX_CONCURRENT_DATASETS);

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

  /**
   * A full dataset is tens of megabytes streamed in (DATASET_TIMEOUT_MS) and hundreds of thousands of rows to
   * write, possibly after waiting for a load slot (MAX_CONCURRENT_DATASETS).
   */
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

  /** The dataset's answer, its body not read yet; null when Stratech no longer has it (404). */
  private async fetchDataset(t: LosTarget, channel: string, key: string): Promise<LosDatasetBody | null> {
    const conn = { id: t.connection.id, externalId: t.connection.externalId };
    let token = await this.tokens.accessToken(conn);
    let res = await this.client.openLosDataset(token, channel, key);
    if (res.status === 'unauthorized') {
      token = await this.tokens.accessToken(conn, token);
      res = await this.client.openLosDataset(token, channel, key);
      if (res.status === 'unauthorized') throw new PermanentError('Stratech LOS dataset: a freshly refreshed organization token was refused (401)');
    }
    return res.status === 'ok' ? res.body : null;
  }

  /**
   * `PriceAvailability.los.created`: the dataset is streamed from Stratech straight into one transaction, product
   * by product, never held whole (CONTRACT.md section 12): the LOS rows of (location, channel) are deleted, the
   * new ones written in chunks while the next are parsed, and the commit makes the new dataset visible at once.
   * Anything wrong on the way (JSON, a cell, the size cap, a broken connection) rolls it all back.
   */
  private async loadDataset(data: LosCreatedData): Promise<HandleResult> {
    const t = await this.target(data.organizationReference, data.resortReference);
    if (!('connection' in t)) return t;
    const connectionId = t.connection.id;
    const signal = handlerContext.getStore()?.signal;
    const waitStarted = Date.now();
    const release = await this.datasetSlots.acquire(signal);
    try {
      const waitedMs = Date.now() - waitStarted;
      let body: LosDatasetBody | null;
      try {
        body = await this.fetchDataset(t, data.channelReference, data.key);
      } catch (e) {
        // The refresh token was revoked or expired at Stratech: wait for the organization to authorize again.
        if (e instanceof StratechGrantRejectedError) return held('Stratech refused the refresh token: waiting for a new authorization', connectionId);
        throw e;
      }
      // A dataset Stratech no longer has was superseded by a newer one, whose own event follows.
      if (!body) return ignored(`LOS dataset ${JSON.stringify(data.key)} not found at Stratech (superseded or expired)`, connectionId);
      const started = Date.now();
      let rows: number;
      const stats = { dbWaitMs: 0 };
      try {
        rows = await this.dataSource.transaction((m) => this.writeDataset(m, t, data, body, signal, stats));
      } catch (e) {
        if (e instanceof StratechMappingError) throw new PermanentError(`Stratech LOS dataset ${JSON.stringify(data.key)}: ${e.message}`);
        throw e;
      } finally {
        await body.close();
      }
      this.logger.log({
        connectionId, locationId: t.mapping.locationId, channel: data.channelReference, rows, bytes: body.bytesRead, ms: Date.now() - started, dbWaitMs: stats.dbWaitMs, slotWaitMs: waitedMs,
      }, 'stratech LOS dataset loaded');
      return done(connectionId);
    } finally {
      release();
    }
  }

  /** Streams the dataset into the transaction; returns the rows written. */
  private async writeDataset(
    m: EntityManager, t: LosTarget, data: LosCreatedData, body: LosDatasetBody, signal: AbortSignal | undefined, stats: { dbWaitMs: number },
  ): Promise<number> {
    const connectionId = t.connection.id;
    const locationId = t.mapping.locationId;
    // Unmapped during the fetch: the dataset must not land there. The retry holds it (resort not mapped).
    if (!(await this.connections.holdsMapping(connectionId, locationId, m))) throw new RetryableError('the resort was unmapped meanwhile');
    // The connection's products, so that a product's rows can be written as soon as it is parsed (los_days has
    // no foreign key: its resource is upserted alongside, in the same transaction).
    const known = new Map((await m.getRepository(ResourceEntity).find({
      select: { id: true, externalId: true, name: true },
      where: { provider: 'stratech', connectionId },
    })).map((r) => [r.externalId, r]));
    const parser = new LosParseThread();
    /** productId → the resource id its rows are written under. */
    const ids = new Map<string, string>();
    /** Products created here: a concurrent dataset (another channel) may have created one first. */
    const created = new Map<string, string>();
    let writer: LosDatasetWriter | null = null;

    const product = async (cells: ProductCells) => {
      this.checkScalars(parser.scalars, data);
      writer ??= await this.los.openDataset(m, {
        locationId, channel: data.channelReference, connectionId, datasetKey: data.key, currency: currencyOf(parser.scalars.currency),
      });
      let id = ids.get(cells.externalId);
      const relisted = id !== undefined;
      if (!relisted) {
        const existing = known.get(cells.externalId);
        id = existing?.id ?? generateResourceId();
        ids.set(cells.externalId, id);
        if (existing) writer.retireElsewhere([id]);
        else created.set(cells.externalId, id);
      }
      // A product listed again changes its name only when it names one (as productsOf: the last name given).
      if (!relisted || cells.name !== null) {
        const resource = toAccommodation(cells, { id: id!, locationId, connectionId, existingName: known.get(cells.externalId)?.name ?? null });
        void writer.enqueue(() => this.resources.upsertMany([resource], m)).catch(() => undefined);
      }
      await writer.add({ resourceId: id!, arrivalDates: cells.arrivalDates, lengthsOfStay: cells.lengthsOfStay, units: cells.units, prices: cells.prices }, relisted);
    };

    try {
      // Chunks go to the parser thread without waiting for their products; at most CHUNKS_AHEAD are unanswered.
      const ahead: Array<Promise<ProductCells[]>> = [];
      const takeAnswers = async (keep: number) => {
        while (ahead.length > keep) {
          for (const cells of await ahead.shift()!) await product(cells);
          if (signal?.aborted) throw new RetryableError('Stratech LOS dataset: the handler timed out while loading');
        }
      };
      for await (const chunk of body.chunks()) {
        ahead.push(parser.push(chunk));
        await takeAnswers(CHUNKS_AHEAD - 1);
      }
      ahead.push(parser.end());
      await takeAnswers(0);
      // Scalars after the products (or a dataset without any) are checked here, still before the commit.
      this.checkScalars(parser.scalars, data);
    } catch (e) {
      // The statement in flight ends before the rollback is sent (one query at a time on the connection).
      await (writer as LosDatasetWriter | null)?.settle().catch(() => undefined);
      throw e;
    } finally {
      await parser.close();
    }
    const currency = currencyOf(parser.scalars.currency);
    const w: LosDatasetWriter = writer ?? await this.los.openDataset(m, { locationId, channel: data.channelReference, connectionId, datasetKey: data.key, currency });
    const rows = await w.finish();
    stats.dbWaitMs = Math.round(w.waitedMs);
    if (currency !== w.target.currency) await w.setCurrency(currency);
    if (created.size > 0) {
      for (const r of await this.resources.findByExternalIds('stratech', connectionId, [...created.keys()], m)) {
        const ours = created.get(r.externalId)!;
        if (r.id !== ours) await w.moveRows(ours, r.id);
      }
    }
    return rows;
  }

  /** The dataset's own key and references, where it has them, must be the event's; its currency a 3-letter code. */
  private checkScalars(s: DatasetScalars, data: LosCreatedData): void {
    const expected = { key: data.key, resortReference: data.resortReference, channelReference: data.channelReference } as const;
    for (const field of ['key', 'resortReference', 'channelReference'] as const) {
      const v = s[field];
      if (v === undefined || v === null) continue;
      if (v === NOT_A_SCALAR || String(v) !== expected[field]) {
        const shown = v === NOT_A_SCALAR ? 'an object' : JSON.stringify(String(v).slice(0, 100));
        throw new StratechMappingError(`the answer's ${field} ${shown} is not the event's ${JSON.stringify(expected[field])}`);
      }
    }
    const currency = s.currency;
    if (currency !== undefined && currency !== null && (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency))) {
      throw new StratechMappingError('currency is not a 3-letter code');
    }
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
