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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
