import { Injectable, Logger } from '@nestjs/common';
import { serviceUnavailable } from '../common/domain.error';
import { requestContext } from '../common/request-context';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../ops/metrics.service';
import { EventIntakeRepository, IntakeResult } from './event-intake.repository';
import { toInboundEvent } from './event-row';
import { HandlerRegistry } from './handler.registry';
import { IntakeEnvelope, PRIORITY, RESYNC_EVENT } from './provider-handler';
import { WorkerService } from './worker.service';

export interface WebhookAnswer {
  eventId: string;
  status: IntakeResult['status'];
}

@Injectable()
export class IntakeService {
  private readonly logger = new Logger('Intake');

  constructor(
    private readonly events: EventIntakeRepository,
    private readonly registry: HandlerRegistry,
    private readonly worker: WorkerService,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  /** Commits the event, then answers; processing happens later, in the worker. */
  async accept(envelope: IntakeEnvelope): Promise<WebhookAnswer> {
    if (this.config.env.INTAKE === 'off') throw serviceUnavailable('this process does not take webhooks (INTAKE=off)');
    return this.store(envelope);
  }

  private async store(envelope: IntakeEnvelope): Promise<WebhookAnswer> {
    // The request's id goes with the event, so the worker's lines for it can be joined to the webhook's.
    const requestId = requestContext.getStore()?.requestId;
    if (requestId) envelope = { ...envelope, requestId };
    const result = await this.events.insert(envelope);
    this.metrics.eventsReceived.inc({ provider: envelope.provider, outcome: result.status });
    if (result.status === 'accepted') this.worker.poke();
    if (result.status === 'duplicate' && result.existing?.status === 'done') {
      const handler = this.registry.get(envelope.provider);
      if (handler?.onDuplicateOfDone) {
        // Outside the answer: a lost acknowledgement is re-sent, a failure here is only logged
        // (the provider will deliver again and we will try again).
        const event = toInboundEvent(result.existing);
        void handler.onDuplicateOfDone(event).catch((e: Error) =>
          this.logger.warn({ eventId: event.id, provider: envelope.provider, err: e.message }, 're-acknowledgement failed'));
      }
    }
    this.logger.log({ eventId: result.eventId, provider: envelope.provider, eventType: envelope.eventType, status: result.status }, 'webhook taken');
    return { eventId: result.eventId, status: result.status };
  }

  /**
   * Events a handler queues itself (a resync's per-item repairs, each in its item's partition): stored like
   * webhooks, also where INTAKE=off. An idempotency key makes a retried handler queue each one once.
   */
  async enqueue(envelopes: IntakeEnvelope[]): Promise<WebhookAnswer[]> {
    return Promise.all(envelopes.map((e) => this.store(e)));
  }

  /**
   * Resync runs through the queue like any event: durable, retried, ordered after what came before it.
   * An admin action, so it is taken also where INTAKE=off (that switch is about provider webhooks).
   */
  async requestResync(provider: IntakeEnvelope['provider'], connectionId: string): Promise<WebhookAnswer> {
    return this.store({
      provider,
      eventType: RESYNC_EVENT,
      connectionId,
      partitionKey: this.registry.get(provider)?.resyncPartitionKey?.(connectionId) ?? `${provider}:resync:${connectionId}`,
      priority: PRIORITY.normal,
      coalesceKey: `resync:${connectionId}`,
      payload: { connectionId },
    });
  }
}
