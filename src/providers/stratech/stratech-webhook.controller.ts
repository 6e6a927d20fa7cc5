import { Body, Controller, HttpCode, Post, RawBodyRequest, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { Public } from '../../auth/access.decorator';
import {
  ApiAcceptedResponse, ApiBadRequestResponse, ApiBody, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse, ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { sha256Hex } from '../../common/crypto.util';
import { badRequest } from '../../common/domain.error';
import { WebhookAnswerView } from '../../ingestion/dto/event.dto';
import { IntakeService } from '../../ingestion/intake.service';
import { IntakeEnvelope, PRIORITY } from '../../ingestion/provider-handler';
import { WebhookAnswerInterceptor } from '../../ingestion/webhook-answer.interceptor';
import { StratechWebhookSecretGuard } from './stratech-webhook-secret.guard';
import { STRATECH_EVENTS, StratechWebhookBody, validateEnvelope, validateEventData } from './stratech-webhook.validator';

/**
 * Ordering key: authorization per organization; LOS per (organization, resort, channel), so partials follow
 * their dataset. Unknown types are only ever ignored: each gets its own key so they never queue behind
 * one another.
 */
export function stratechPartitionKey(body: StratechWebhookBody, bodyHash: string): string {
  const d = body.eventData;
  const org = typeof d.organizationReference === 'string' ? d.organizationReference : '-';
  if (body.eventType.startsWith('Authorization.')) return `stratech:${org}:auth`;
  if (body.eventType === STRATECH_EVENTS.losCreated || body.eventType === STRATECH_EVENTS.losUpdated) {
    return `stratech:${org}:${String(d.resortReference)}:${String(d.channelReference)}`;
  }
  return `stratech:${org}:other:${bodyHash}`;
}

@ApiTags('webhooks')
@Public()
@Controller('webhooks/stratech')
export class StratechWebhookController {
  constructor(private readonly intake: IntakeService) {}

  @Post(':secret')
  @HttpCode(202)
  // Disabled (503) and the path secret (404) are checked before the body is read.
  @UseGuards(StratechWebhookSecretGuard)
  @UseInterceptors(WebhookAnswerInterceptor)
  @ApiOperation({
    summary: 'Stratech Booking events (authorization, LOS datasets)',
    description: 'Stratech does not sign webhooks: the URL carries STRATECH_WEBHOOK_SECRET. Body `{eventType, eventData}`. '
      + 'Unknown event types are accepted and then ignored. Identical bodies while the first is still pending are coalesced.',
  })
  @ApiParam({ name: 'secret', description: 'STRATECH_WEBHOOK_SECRET' })
  @ApiBody({ schema: { type: 'object', required: ['eventType', 'eventData'], properties: { eventType: { type: 'string' }, eventData: { type: 'object' } } } })
  @ApiAcceptedResponse({ type: WebhookAnswerView, description: 'stored (accepted) or coalesced with a pending identical body' })
  @ApiOkResponse({ type: WebhookAnswerView, description: 'duplicate' })
  @ApiBadRequestResponse({ description: 'not JSON, or eventType / eventData (per type) invalid; nothing stored' })
  @ApiNotFoundResponse({ description: 'wrong secret' })
  @ApiPayloadTooLargeResponse({ description: 'body over WEBHOOK_MAX_BYTES' })
  @ApiServiceUnavailableResponse({ description: 'Stratech is not configured (STRATECH_CLIENT_ID, STRATECH_CLIENT_SECRET, STRATECH_WEBHOOK_SECRET)' })
  async receive(@Req() req: RawBodyRequest<Request>, @Body() body: unknown): Promise<WebhookAnswerView> {
    const envelopeErrors = validateEnvelope(body);
    if (envelopeErrors.length > 0) throw badRequest('not a Stratech event: eventType (string) and eventData (object) are required', envelopeErrors);
    const event = body as StratechWebhookBody;
    const dataErrors = validateEventData(event.eventType, event.eventData);
    if (dataErrors.length > 0) throw badRequest(`invalid ${event.eventType} event`, dataErrors);
    const raw = req.rawBody ?? Buffer.from(JSON.stringify(body));
    const bodyHash = sha256Hex(raw);
    const envelope: IntakeEnvelope = {
      provider: 'stratech',
      eventType: event.eventType,
      connectionId: null,
      partitionKey: stratechPartitionKey(event, bodyHash),
      priority: event.eventType.startsWith('Authorization.') ? PRIORITY.critical : PRIORITY.normal,
      coalesceKey: bodyHash,
      payload: event as unknown as Record<string, unknown>,
      // No raw copy: the path secret, not a signature over the bytes, authenticates Stratech (payload is the body).
    };
    return this.intake.accept(envelope);
  }
}
