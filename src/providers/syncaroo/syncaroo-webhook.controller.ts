import { Controller, Post, Req, UseInterceptors } from '@nestjs/common';
import { Public } from '../../auth/access.decorator';
import type { RawBodyRequest } from '@nestjs/common';
import {
  ApiAcceptedResponse, ApiBadRequestResponse, ApiBody, ApiOperation, ApiPayloadTooLargeResponse, ApiServiceUnavailableResponse,
  ApiTags, ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { sha256Hex } from '../../common/crypto.util';
import { badRequest, serviceUnavailable, unauthorized } from '../../common/domain.error';
import { AppConfig } from '../../config/app-config';
import { WebhookAnswerView } from '../../ingestion/dto/event.dto';
import { IntakeService, WebhookAnswer } from '../../ingestion/intake.service';
import { PRIORITY } from '../../ingestion/provider-handler';
import { WebhookAnswerInterceptor } from '../../ingestion/webhook-answer.interceptor';
import { SyncarooHashVerifier } from './syncaroo-hash.verifier';
import { parseSyncarooWebhook, SyncarooWebhookDto } from './syncaroo-webhook.dto';
import { PROVIDER, syncarooItemKey } from './syncaroo.mapper';

/** The seed's "process immediately": inventory-defining types run before availability. */
const CRITICAL = new Set(['resources', 'locations', 'bookings', 'rates']);

@ApiTags('webhooks')
@Public()
@Controller()
export class SyncarooWebhookController {
  constructor(
    private readonly intake: IntakeService,
    private readonly verifier: SyncarooHashVerifier,
    private readonly config: AppConfig,
  ) {}

  // {apiUri}update/ is the path Syncaroo's tier-2 registration names (webhookPath `update/`); same handling.
  @Post(['webhooks/syncaroo', 'syncaroo/update'])
  @UseInterceptors(WebhookAnswerInterceptor)
  @ApiOperation({
    summary: 'Syncaroo Data Sync webhook',
    description: 'Checks `hash` first (401), then the shape and the URL guard (400: apiUrl/actionCallback must start with '
      + '{SYNCAROO_API_URL}/{connectionId}/), then stores the event and answers 202; the live data is fetched afterwards. '
      + 'An identical body while the earlier one is still pending answers `coalesced`. Unknown attributeType: accepted, then ignored.',
  })
  @ApiBody({ type: SyncarooWebhookDto })
  @ApiAcceptedResponse({ type: WebhookAnswerView, description: 'stored (`accepted`) or merged with an identical pending body (`coalesced`)' })
  @ApiBadRequestResponse({ description: 'invalid JSON, shape, or apiUrl/actionCallback outside {SYNCAROO_API_URL}/{connectionId}/; nothing stored' })
  @ApiUnauthorizedResponse({ description: 'hash missing or wrong; nothing stored' })
  @ApiPayloadTooLargeResponse({ description: 'body larger than WEBHOOK_MAX_BYTES' })
  @ApiServiceUnavailableResponse({ description: 'Syncaroo is not configured on this server; nothing stored' })
  async receive(@Req() req: RawBodyRequest<Request>): Promise<WebhookAnswer> {
    if (!this.config.enabled.syncaroo) {
      throw serviceUnavailable('Syncaroo is not enabled on this server (SYNCAROO_CLIENT_ID, SYNCAROO_CLIENT_SECRET and SYNCAROO_WEBHOOK_SECRET)');
    }
    const body: unknown = req.body;
    if (!this.verifier.verify(body)) throw unauthorized('hash is missing or does not match the body');
    const parsed = parseSyncarooWebhook(body, this.config.syncarooApiUrl);
    if (!parsed.ok) throw badRequest('invalid Syncaroo webhook', parsed.errors);
    const w = parsed.webhook;
    const raw = req.rawBody ?? Buffer.from(JSON.stringify(body));
    return this.intake.accept({
      provider: PROVIDER,
      eventType: w.metaData.attributeType,
      // Resolved by the handler: the connection may not exist yet (the event is then held).
      connectionId: null,
      partitionKey: syncarooItemKey(w.connectionId, w.metaData.syncarooId),
      priority: CRITICAL.has(w.metaData.attributeType) ? PRIORITY.critical : PRIORITY.normal,
      coalesceKey: sha256Hex(raw),
      payload: body as Record<string, unknown>,
    });
  }
}
