import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per app instance, so tests can boot several apps in one process. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry],
  });
  readonly eventsReceived = new Counter({
    name: 'inventory_events_received_total', help: 'Webhook events answered 2xx, by provider and outcome (accepted, coalesced, duplicate)',
    labelNames: ['provider', 'outcome'], registers: [this.registry],
  });
  readonly eventsProcessed = new Counter({
    name: 'inventory_events_processed_total', help: 'Event processing attempts by provider and outcome (done, ignored, held, failed, dead)',
    labelNames: ['provider', 'outcome'], registers: [this.registry],
  });
  readonly processingDuration = new Histogram({
    name: 'inventory_event_processing_seconds', help: 'Time to process one event', labelNames: ['provider'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'inventory_queue_depth', help: 'Events waiting (pending, failed, processing) by provider', labelNames: ['provider'], registers: [this.registry],
  });
  readonly oldestPendingAge = new Gauge({
    name: 'inventory_queue_oldest_pending_seconds', help: 'Age of the oldest waiting event by provider', labelNames: ['provider'], registers: [this.registry],
  });
  /** Computed by one process at a time (see QueueGaugesService): alert on max by (provider, status). */
  readonly eventsByStatus = new Gauge({
    name: 'inventory_events', help: 'Events by provider and status (pending, failed, processing, held, dead); reported by the one process that computed them',
    labelNames: ['provider', 'status'], registers: [this.registry],
  });
  readonly claimDuration = new Histogram({
    name: 'inventory_claim_seconds', help: 'Time of one claim round trip (isq_claim)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [this.registry],
  });
  readonly outboundRequests = new Counter({
    name: 'inventory_outbound_requests_total', help: 'Outbound provider HTTP calls by provider and status (a number, or timeout / network / aborted / too-large / redirect)',
    labelNames: ['provider', 'status'], registers: [this.registry],
  });
  readonly tokenRefreshFailures = new Counter({
    name: 'inventory_token_refresh_failures_total', help: 'Refused or failed OAuth token refreshes by provider (a refused refresh token holds the connection until re-authorized)',
    labelNames: ['provider'], registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
