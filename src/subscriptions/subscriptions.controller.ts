import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import type { Principal } from '../auth/principal';
import { PageQuery } from '../common/pagination';
import {
  CreatedSubscriptionView, CreateSubscriptionDto, DeliveryPage, RotatedSecretView, SubscriptionIdParam, SubscriptionListQuery, SubscriptionPage,
  SubscriptionView, UpdateSubscriptionDto,
} from './dto/subscription.dto';
import { SubscriptionAccessGuard, subscriptionTenant } from './subscription-access';
import { SubscriptionsService } from './subscriptions.service';

const WHO = 'Admin (every account), or an account API key / account session with changes:read (its own account only). READ_TOKEN and other global non-admin credentials: 403.';

/**
 * CONTRACT.md section 10, subscriptions. The route scope is `changes:read` (admin passes too); SubscriptionAccessGuard
 * then refuses global credentials that are not admin (before any body is read), and `subscriptionTenant` gives the
 * handler its tenant: the rule is in one place (subscription-access.ts).
 */
@ApiTags('admin: subscriptions')
@UseGuards(SubscriptionAccessGuard)
@Controller('admin/subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Post()
  @Access('changes:read')
  @ApiOperation({ summary: 'Create a subscription (outbound webhook); it starts at the head of the feed', description: WHO })
  @ApiCreatedResponse({ type: CreatedSubscriptionView, description: '`secret` is in this answer only' })
  @ApiBadRequestResponse({ description: 'invalid body; url not https, or a loopback/private/link-local host (errors name `url`)' })
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateSubscriptionDto): Promise<CreatedSubscriptionView> {
    return this.subscriptions.create(subscriptionTenant(principal), dto);
  }

  @Get()
  @Access('changes:read')
  @ApiOperation({ summary: 'List subscriptions (oldest first)', description: WHO })
  @ApiOkResponse({ type: SubscriptionPage })
  list(@CurrentPrincipal() principal: Principal, @Query() query: SubscriptionListQuery): Promise<SubscriptionPage> {
    return this.subscriptions.list(subscriptionTenant(principal), query);
  }

  @Get(':id')
  @Access('changes:read')
  @ApiOperation({ summary: 'One subscription', description: WHO })
  @ApiOkResponse({ type: SubscriptionView })
  @ApiNotFoundResponse()
  get(@CurrentPrincipal() principal: Principal, @Param() { id }: SubscriptionIdParam): Promise<SubscriptionView> {
    return this.subscriptions.get(subscriptionTenant(principal), id);
  }

  @Patch(':id')
  @Access('changes:read')
  @ApiOperation({ summary: 'Change url, types, description or status (active | paused); active on a failing one resumes with the batch that failed', description: WHO })
  @ApiOkResponse({ type: SubscriptionView })
  @ApiNotFoundResponse()
  update(@CurrentPrincipal() principal: Principal, @Param() { id }: SubscriptionIdParam, @Body() dto: UpdateSubscriptionDto): Promise<SubscriptionView> {
    return this.subscriptions.update(subscriptionTenant(principal), id, dto);
  }

  @Delete(':id')
  @Access('changes:read')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a subscription and its delivery log', description: WHO })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  remove(@CurrentPrincipal() principal: Principal, @Param() { id }: SubscriptionIdParam): Promise<void> {
    return this.subscriptions.remove(subscriptionTenant(principal), id);
  }

  @Post(':id/rotate-secret')
  @Access('changes:read')
  @HttpCode(200)
  @ApiOperation({ summary: 'New signing secret; the previous one keeps signing beside it for 24 h', description: WHO })
  @ApiOkResponse({ type: RotatedSecretView })
  @ApiNotFoundResponse()
  rotateSecret(@CurrentPrincipal() principal: Principal, @Param() { id }: SubscriptionIdParam): Promise<RotatedSecretView> {
    return this.subscriptions.rotateSecret(subscriptionTenant(principal), id);
  }

  @Get(':id/deliveries')
  @Access('changes:read')
  @ApiOperation({ summary: 'The delivery log, newest first', description: WHO })
  @ApiOkResponse({ type: DeliveryPage })
  @ApiNotFoundResponse()
  deliveries(@CurrentPrincipal() principal: Principal, @Param() { id }: SubscriptionIdParam, @Query() query: PageQuery): Promise<DeliveryPage> {
    return this.subscriptions.deliveries(subscriptionTenant(principal), id, query);
  }
}
