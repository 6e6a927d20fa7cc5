import { Controller, Get, Headers, HttpCode, Post, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { Public } from '../../auth/access.decorator';
import {
  ApiAcceptedResponse, ApiBadRequestResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam,
  ApiServiceUnavailableResponse, ApiTags,
} from '@nestjs/swagger';
import { badRequest, notFound } from '../../common/domain.error';
import { WebhookAnswerView } from '../../ingestion/dto/event.dto';
import { IntakeService } from '../../ingestion/intake.service';
import { PRIORITY } from '../../ingestion/provider-handler';
import { WebhookAnswerInterceptor } from '../../ingestion/webhook-answer.interceptor';
import { LOCKME_MESSAGE_EVENT, lockmePartitionKey } from './lockme-sync.handler';
import { LOCKME_CONNECTION, LockmeWebhookKeyGuard, LockmeWebhookRequest } from './lockme-webhook-key.guard';

const MESSAGE_ID = /^\d{1,20}$/;

/**
 * Lockme posts an empty request with `X-MessageId`; the message itself is read later with the connection's
 * OAuth token. Lockme signs nothing, so the per-connection key in the URL is the authentication: checked by
 * LockmeWebhookKeyGuard (503 disabled, 404 unknown key) before the body is read.
 */
@ApiTags('webhooks')
@Public()
@Controller('webhooks/lockme')
@UseGuards(LockmeWebhookKeyGuard)
export class LockmeWebhookController {
  constructor(private readonly intake: IntakeService) {}

  @Post(':webhookKey')
  @HttpCode(202)
  @UseInterceptors(WebhookAnswerInterceptor)
  @ApiOperation({
    summary: 'Lockme message pointer',
    description: 'Empty body (ignored); header `X-MessageId`. The message is fetched from Lockme, applied, then marked read. '
      + 'A repeated X-MessageId is a duplicate; if that event is already done the acknowledgement is sent to Lockme again.',
  })
  @ApiParam({ name: 'webhookKey', description: "the per-connection secret at the end of the connection's webhookUrl" })
  @ApiHeader({ name: 'X-MessageId', required: true, description: 'Lockme message id, 1-20 digits' })
  @ApiAcceptedResponse({ type: WebhookAnswerView, description: 'stored; processed asynchronously' })
  @ApiOkResponse({ type: WebhookAnswerView, description: 'duplicate X-MessageId for this connection' })
  @ApiBadRequestResponse({ description: 'X-MessageId missing or not 1-20 digits; nothing stored' })
  @ApiNotFoundResponse({ description: 'unknown webhook key' })
  @ApiServiceUnavailableResponse({ description: 'Lockme is not configured (LOCKME_CLIENT_ID, LOCKME_CLIENT_SECRET)' })
  receive(@Req() req: LockmeWebhookRequest, @Headers('x-messageid') messageId: string | undefined): Promise<WebhookAnswerView> {
    return this.take(req, messageId);
  }

  /** Same as POST: Lockme's panel lets an integration use GET. */
  @Get(':webhookKey')
  @HttpCode(202)
  @UseInterceptors(WebhookAnswerInterceptor)
  @ApiOperation({ summary: 'Lockme message pointer (GET form)', description: 'Same as the POST form.' })
  @ApiParam({ name: 'webhookKey', description: "the per-connection secret at the end of the connection's webhookUrl" })
  @ApiHeader({ name: 'X-MessageId', required: true, description: 'Lockme message id, 1-20 digits' })
  @ApiAcceptedResponse({ type: WebhookAnswerView })
  @ApiOkResponse({ type: WebhookAnswerView, description: 'duplicate' })
  @ApiBadRequestResponse({ description: 'X-MessageId missing or not 1-20 digits' })
  @ApiNotFoundResponse({ description: 'unknown webhook key' })
  @ApiServiceUnavailableResponse({ description: 'Lockme is not configured' })
  receiveGet(@Req() req: LockmeWebhookRequest, @Headers('x-messageid') messageId: string | undefined): Promise<WebhookAnswerView> {
    return this.take(req, messageId);
  }

  private async take(req: LockmeWebhookRequest, messageId: string | undefined): Promise<WebhookAnswerView> {
    // Found by the guard; never absent on these routes.
    const connection = req[LOCKME_CONNECTION];
    if (!connection) throw notFound('webhook');
    const id = (messageId ?? '').trim();
    if (!MESSAGE_ID.test(id)) {
      throw badRequest('header X-MessageId must be the Lockme message id (1-20 digits)', [{ field: 'X-MessageId', message: messageId === undefined ? 'required' : 'must be 1-20 digits' }]);
    }
    return this.intake.accept({
      provider: 'lockme',
      eventType: LOCKME_MESSAGE_EVENT,
      connectionId: connection.id,
      // Lockme message ids increase per account: one queue per connection keeps them in order.
      partitionKey: lockmePartitionKey(connection.id),
      priority: PRIORITY.critical,
      idempotencyKey: `${connection.id}:${id}`,
      payload: { messageId: id },
      headers: { 'x-messageid': id },
    });
  }
}
