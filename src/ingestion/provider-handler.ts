import type { Provider } from '../connections/entities/connection.entity';

/** What a provider controller hands to ingestion after it has authenticated and validated a webhook. */
export interface IntakeEnvelope {
  provider: Provider;
  /** e.g. `resources`, `PriceAvailability.los.created`, `lockme.message` */
  eventType: string;
  /** Our connection id when known at intake (Lockme: from the URL key); otherwise resolved by the handler. */
  connectionId: string | null;
  /** Events with the same key are applied one at a time, in arrival order. */
  partitionKey: string;
  /** Lower runs first: PRIORITY.critical before PRIORITY.normal (the seed's "process immediately / queue"). */
  priority: number;
  /** Same key → `duplicate` forever (Lockme: connection + X-MessageId). */
  idempotencyKey?: string;
  /** Same key while the earlier event is still pending → `coalesced` (hash of the body). */
  coalesceKey?: string;
  /** The body as parsed; no raw copy is stored (no provider's signature is checked again after intake). */
  payload: Record<string, unknown>;
  headers?: Record<string, string>;
  /** The x-request-id of the webhook's request (set by intake), carried into the worker's log lines. */
  requestId?: string;
}

export const PRIORITY = { critical: 1, normal: 5 } as const;

/** eventType of the event `POST /admin/connections/{id}/resync` enqueues; payload `{connectionId}`. */
export const RESYNC_EVENT = 'resync';

/** A resync reads everything a connection lists, one call after another: minutes, not seconds. */
export const RESYNC_TIMEOUT_MS = 600_000;

/** The stored event as a handler sees it. */
export interface InboundEvent {
  id: string;
  provider: Provider;
  eventType: string;
  connectionId: string | null;
  partitionKey: string;
  payload: Record<string, any>;
  headers: Record<string, string>;
  attempts: number;
  receivedAt: Date;
}

export type HandleResult =
  | { outcome: 'done'; connectionId?: string }
  | { outcome: 'ignored'; reason: string; connectionId?: string }
  /**
   * Cannot apply yet (unknown connection, unmapped location, disabled connection): kept, and re-run when an
   * action releases its `cause` (default: the connection's, else the provider's).
   */
  | { outcome: 'held'; reason: string; connectionId?: string; cause?: string };

export const done = (connectionId?: string): HandleResult => ({ outcome: 'done', connectionId });
export const ignored = (reason: string, connectionId?: string): HandleResult => ({ outcome: 'ignored', reason, connectionId });
export const held = (reason: string, connectionId?: string, cause?: string): HandleResult => ({ outcome: 'held', reason, connectionId, cause });

/**
 * Hold causes: what a held event waits for, named so that the action removing it releases exactly those
 * events. Any change to a connection (status, credentials, mappings, authorization) releases `connection`.
 */
export const holdCause = {
  /** A known connection is not usable yet: disabled, not authorized, nothing mapped, tokens refused. */
  connection: (connectionId: string) => `connection:${connectionId}`,
  /** No connection with this provider id exists yet (Syncaroo connectionId, Stratech organization). */
  external: (provider: string, externalId: string) => `external:${provider}:${externalId}`,
  /** The location is not mapped to the webhook's connection. */
  location: (locationId: string) => `location:${locationId}`,
  /** Any held event of the provider (the default when a handler names no connection). */
  provider: (provider: string) => `provider:${provider}`,
};

/** Thrown for a transient fault; `retryAfterMs` (a provider's Retry-After) stretches the next delay. */
export class RetryableError extends Error {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
  }
}

/** Thrown when retrying cannot help (the provider rejects the request for good): the event goes `dead`. */
export class PermanentError extends Error {}

/** One per provider module; ingestion knows providers only through this. */
export interface ProviderHandler {
  readonly provider: Provider;
  handle(event: InboundEvent): Promise<HandleResult>;
  /** The partition a resync of this connection joins (default: its own), e.g. to queue behind the connection's messages. */
  resyncPartitionKey?(connectionId: string): string;
  /** Called when a delivery repeats an event that is already `done` (Lockme: acknowledge again). */
  onDuplicateOfDone?(event: InboundEvent): Promise<void>;
  /** A longer time limit than HANDLER_TIMEOUT_MS for a provider's own slow events (a full dataset). */
  timeoutFor?(event: InboundEvent): number | undefined;
}

