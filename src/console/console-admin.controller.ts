import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AccountsService } from '../accounts/accounts.service';
import { AccountIdParam, AccountLocationParams, CreateAccountDto, CreateUserDto, PutAccountLocationDto, UserIdParam } from '../accounts/dto/account.dto';
import { CurrentPrincipal, SessionOnly } from '../auth/access.decorator';
import { EVERY_ACCOUNT, Principal } from '../auth/principal';
import { CHANGE_TYPES } from '../changes/entities/change.entity';
import { badRequest } from '../common/domain.error';
import { AcceptsForm } from '../common/json-body.interceptor';
import { ReplayDeadQuery } from '../ingestion/dto/event.dto';
import { EventsService } from '../ingestion/events.service';
import { CreateSubscriptionDto, SubscriptionIdParam, UpdateSubscriptionDto } from '../subscriptions/dto/subscription.dto';
import { subscriptionTenant } from '../subscriptions/subscription-access';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import { ConsoleReadRepository } from './console-read.repository';
import { ConsoleErrorFilter, consoleUser, field, fields, requireScope, validated } from './console.support';
import { consoleViews } from './console.views';

const HTML = 'text/html; charset=utf-8';
const PAGE_SIZE = 50;

type Form = Record<string, unknown>;

const textParam = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The console's subscription, account and bulk-replay screens. Same rules as the REST API: subscriptions go
 * through SubscriptionsService with the tenant of `subscriptionTenant` (admin: every account; an account user
 * with changes:read: its own; another account's subscription is 404); accounts, their listings and users and
 * the bulk replay of dead events are admin only (403 otherwise), through AccountsService and EventsService.
 */
@ApiExcludeController()
@UseFilters(ConsoleErrorFilter)
@Controller('console')
export class ConsoleAdminController {
  constructor(
    private readonly events: EventsService,
    private readonly reads: ConsoleReadRepository,
    private readonly subscriptions: SubscriptionsService,
    private readonly accounts: AccountsService,
  ) {}

  // ---- subscriptions ----

  @Get('subscriptions')
  @SessionOnly()
  @Header('Content-Type', HTML)
  async subscriptionList(@CurrentPrincipal() p: Principal, @Req() req: Request, @Query('cursor') cursor?: string): Promise<string> {
    const tenant = subscriptionTenant(p);
    const page = await this.subscriptions.list(tenant, { limit: PAGE_SIZE, cursor: textParam(cursor) });
    const accounts = await this.reads.accountNames(tenant);
    return consoleViews.page('subscriptions', 'Subscriptions', consoleUser(req), {
      page, types: CHANGE_TYPES, accounts, accountNames: Object.fromEntries(accounts.map((a) => [a.id, a.name])),
    }, 'subscriptions');
  }

  /** The secret is in this answer only. */
  @Post('subscriptions')
  @SessionOnly()
  @AcceptsForm()
  @HttpCode(200)
  async createSubscription(@CurrentPrincipal() p: Principal, @Body() body: Form): Promise<string> {
    const tenant = subscriptionTenant(p);
    const types = fields(body, 'types');
    const dto = await validated(CreateSubscriptionDto, {
      url: field(body, 'url'), types: types.length > 0 ? types : undefined, description: field(body, 'description'),
      accountId: tenant.accountId === null ? field(body, 'accountId') : undefined,
    });
    const created = await this.subscriptions.create(tenant, dto);
    return consoleViews.fragment('secretShown', { title: 'Subscription created', s: created, secret: created.secret });
  }

  @Get('subscriptions/:id')
  @SessionOnly()
  @Header('Content-Type', HTML)
  async subscription(@CurrentPrincipal() p: Principal, @Param() { id }: SubscriptionIdParam, @Req() req: Request, @Query('cursor') cursor?: string): Promise<string> {
    const tenant = subscriptionTenant(p);
    const s = await this.subscriptions.get(tenant, id);
    const deliveries = await this.subscriptions.deliveries(tenant, id, { limit: PAGE_SIZE, cursor: textParam(cursor) });
    const accounts = await this.reads.accountNames(tenant);
    return consoleViews.page('subscription', `Subscription ${s.description ?? new URL(s.url).host}`, consoleUser(req), {
      s, deliveries, accountNames: Object.fromEntries(accounts.map((a) => [a.id, a.name])), cursor: textParam(cursor),
    }, 'subscriptions');
  }

  @Post('subscriptions/:id/status')
  @SessionOnly()
  @AcceptsForm()
  @HttpCode(200)
  async setSubscriptionStatus(@CurrentPrincipal() p: Principal, @Param() { id }: SubscriptionIdParam, @Body() body: Form, @Res({ passthrough: true }) res: Response): Promise<string> {
    const tenant = subscriptionTenant(p);
    const dto = await validated(UpdateSubscriptionDto, { status: field(body, 'status') });
    if (dto.status === undefined) throw badRequest('status must be active or paused', [{ field: 'status', message: 'active or paused' }]);
    const updated = await this.subscriptions.update(tenant, id, { status: dto.status });
    res.setHeader('HX-Refresh', 'true');
    return consoleViews.fragment('flash', { message: `The subscription is ${updated.status}.` });
  }

  /** The new secret is in this answer only; the previous one keeps signing beside it for 24 h. */
  @Post('subscriptions/:id/rotate-secret')
  @SessionOnly()
  @AcceptsForm()
  @HttpCode(200)
  async rotateSecret(@CurrentPrincipal() p: Principal, @Param() { id }: SubscriptionIdParam): Promise<string> {
    const tenant = subscriptionTenant(p);
    const rotated = await this.subscriptions.rotateSecret(tenant, id);
    return consoleViews.fragment('secretShown', { title: 'Secret rotated', s: null, secret: rotated.secret, rotated: true });
  }

  @Delete('subscriptions/:id')
  @SessionOnly()
  @HttpCode(200)
  async deleteSubscription(@CurrentPrincipal() p: Principal, @Param() { id }: SubscriptionIdParam, @Res({ passthrough: true }) res: Response): Promise<string> {
    await this.subscriptions.remove(subscriptionTenant(p), id);
    res.setHeader('HX-Redirect', '/console/subscriptions');
    return consoleViews.fragment('flash', { message: 'Subscription deleted.' });
  }

  // ---- accounts (admin) ----

  @Get('accounts')
  @SessionOnly()
  @Header('Content-Type', HTML)
  async accountList(@CurrentPrincipal() p: Principal, @Req() req: Request, @Query('cursor') cursor?: string): Promise<string> {
    requireScope(p, 'admin');
    const page = await this.accounts.list({ limit: PAGE_SIZE, cursor: textParam(cursor) });
    const counts = await this.reads.accountCounts(page.items.map((a) => a.id));
    return consoleViews.page('accounts', 'Accounts', consoleUser(req), { page, counts }, 'accounts');
  }

  @Post('accounts')
  @SessionOnly()
  @AcceptsForm()
  @HttpCode(200)
  async createAccount(@CurrentPrincipal() p: Principal, @Body() body: Form, @Res({ passthrough: true }) res: Response): Promise<string> {
    requireScope(p, 'admin');
    const dto = await validated(CreateAccountDto, { name: field(body, 'name'), externalId: field(body, 'externalId') });
    const created = await this.accounts.create(dto);
    res.setHeader('HX-Redirect', `/console/accounts/${created.id}`);
    return consoleViews.fragment('flash', { message: `Account ${created.name} created.` });
  }

  @Get('accounts/:id')
  @SessionOnly()
  @Header('Content-Type', HTML)
  async account(@CurrentPrincipal() p: Principal, @Param() { id }: AccountIdParam, @Req() req: Request, @Query() raw: Record<string, unknown>): Promise<string> {
    requireScope(p, 'admin');
    const a = await this.accounts.get(id);
    const [locations, users] = await Promise.all([
      this.accounts.listLocations(id, { limit: PAGE_SIZE, cursor: field(raw, 'locationsCursor') }),
      this.accounts.listUsers(id, { limit: PAGE_SIZE, cursor: field(raw, 'usersCursor') }),
    ]);
    const mapped = await this.reads.mappedLocations(locations.items.map((l) => l.locationId));
    return consoleViews.page('account', a.name, consoleUser(req), { a, locations, users, mapped }, 'accounts');
  }

  /** Claim a listing: the account's from now on (created if new); another account's → 409. */
  @Post('accounts/:id/locations')
  @SessionOnly()
  @AcceptsForm()
  @HttpCode(200)
  async claimLocation(@CurrentPrincipal() p: Principal, @Param() { id }: AccountIdParam, @Body() body: Form, @Res({ passthrough: true }) res: Response): Promise<string> {
    requireScope(p, 'admin');
    const params = await validated(AccountLocationParams, { id, locationId: field(body, 'locationId') });
    const dto = await validated(PutAccountLocationDto, { name: field(body, 'name'), timezone: field(body, 'timezone') });
    const { view, created } = await this.accounts.putLocation(params.id, params.locationId, dto);
    res.setHeader('HX-Refresh', 'true');
    return consoleViews.fragment('flash', { message: `Location ${view.locationId} ${created ? 'created for' : 'claimed by'} the account.` });
  }

  /** Release a listing (its account becomes none; the location and its data stay); 409 while a connection maps it. */
  @Delete('accounts/:id/locations/:locationId')
  @SessionOnly()
  @HttpCode(200)
  async releaseLocation(@CurrentPrincipal() p: Principal, @Param() { id, locationId }: AccountLocationParams, @Res({ passthrough: true }) res: Response): Promise<string> {
    requireScope(p, 'admin');
    await this.accounts.removeLocation(id, locationId);
    res.setHeader('HX-Refresh', 'true');
    return consoleViews.fragment('flash', { message: `Location ${locationId} released.` });
  }

  @Post('accounts/:id/users')
  @SessionOnly()
  @AcceptsForm()
  @HttpCode(200)
  async createUser(@CurrentPrincipal() p: Principal, @Param() { id }: AccountIdParam, @Body() body: Form, @Res({ passthrough: true }) res: Response): Promise<string> {
    requireScope(p, 'admin');
    // The password as typed (not trimmed): spaces are part of it.
    const password = typeof body.password === 'string' && body.password !== '' ? body.password : undefined;
    const dto = await validated(CreateUserDto, { email: field(body, 'email'), password });
    const user = await this.accounts.createUser(id, dto);
    res.setHeader('HX-Refresh', 'true');
    return consoleViews.fragment('flash', { message: `User ${user.email} created.` });
  }

  /** Deletes the user and ends its sessions. */
  @Delete('users/:id')
  @SessionOnly()
  @HttpCode(200)
  async deleteUser(@CurrentPrincipal() p: Principal, @Param() { id }: UserIdParam, @Res({ passthrough: true }) res: Response): Promise<string> {
    requireScope(p, 'admin');
    await this.accounts.deleteUser(id);
    res.setHeader('HX-Refresh', 'true');
    return consoleViews.fragment('flash', { message: 'User deleted; its sessions ended.' });
  }

  // ---- bulk replay of dead events (admin, every account, as POST /admin/events/replay-dead) ----

  /** The count first: how many dead events the filter matches, and how many of them a replay would skip as stale. */
  @Get('events-replay-dead')
  @SessionOnly()
  @Header('Content-Type', HTML)
  async replayDeadCount(@CurrentPrincipal() p: Principal, @Query() raw: Record<string, unknown>): Promise<string> {
    requireScope(p, 'admin');
    const { provider } = await validated(ReplayDeadQuery, { provider: field(raw, 'provider') });
    const counts = await this.reads.deadEvents(EVERY_ACCOUNT, provider ?? null);
    return consoleViews.fragment('replayDeadCount', { provider: provider ?? null, counts });
  }

  @Post('events-replay-dead')
  @SessionOnly()
  @AcceptsForm()
  @HttpCode(200)
  async replayDead(@CurrentPrincipal() p: Principal, @Body() body: Form): Promise<string> {
    requireScope(p, 'admin');
    const { provider } = await validated(ReplayDeadQuery, { provider: field(body, 'provider') });
    const { replayed, skippedStale } = await this.events.replayDead(provider ?? null);
    return consoleViews.fragment('flash', {
      message: `Replayed ${replayed} dead event${replayed === 1 ? '' : 's'}${provider ? ` of ${provider}` : ''}; ${skippedStale} skipped as stale (a later event of the same item is done). Reload to follow them.`,
    });
  }
}
