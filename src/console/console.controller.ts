import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal, SessionOnly } from '../auth/access.decorator';
import { ApiKeysService } from '../auth/api-keys.service';
import { CreateApiKeyDto } from '../auth/dto/api-key.dto';
import { allows, Principal } from '../auth/principal';
import { ACCOUNT_SCOPES, SCOPES } from '../auth/scopes';
import { badRequest, notFound } from '../common/domain.error';
import { AcceptsForm } from '../common/json-body.interceptor';
import { AppConfig } from '../config/app-config';
import { ConnectionsService } from '../connections/connections.service';
import { ConnectionIdParam, CreateConnectionDto, CreateMappingDto, MappingParams } from '../connections/dto/connection.dto';
import type { ConnectionView } from '../connections/dto/connection.dto';
import { PROVIDERS } from '../connections/entities/connection.entity';
import { EventIdParam, EventListQuery } from '../ingestion/dto/event.dto';
import type { EventDetailView } from '../ingestion/dto/event.dto';
import { EVENT_STATUSES } from '../ingestion/entities/inbound-event.entity';
import { redactDeep } from '../common/redact';
import { EventsService } from '../ingestion/events.service';
import { IntakeService } from '../ingestion/intake.service';
import { InventoryQueryRepository } from '../inventory/inventory-query.repository';
import type { LosView } from '../inventory/dto/inventory-view.dto';
import { ConsoleReadRepository } from './console-read.repository';
import { ConsoleErrorFilter, consoleUser, field, fields, requireScope, validated } from './console.support';
import { consoleViews } from './console.views';
import { eventsPerMinuteSvg } from './svg-chart';

const HTML = 'text/html; charset=utf-8';
const PAGE_SIZE = 50;
/** Path ids of the inventory: what the read API accepts (INVENTORY_ID), checked loosely here; the queries are parameterised. */
const INVENTORY_ID = /^[\x21-\x7e]{1,200}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

type Form = Record<string, unknown>;

/**
 * The console's pages (server-rendered eta + htmx). Every route is a console session (@SessionOnly: AuthGuard
 * loads it, checks the CSRF header on unsafe methods and sets the principal); every read and write goes
 * through the API's services and repositories with the principal as the Tenant, so an account user sees and
 * changes only its own account's rows and gets 404 for another's.
 */
@ApiExcludeController()
@UseFilters(ConsoleErrorFilter)
@Controller('console')
export class ConsoleController {

  constructor(
    private readonly connections: ConnectionsService,
    private readonly events: EventsService,
    private readonly intake: IntakeService,
    private readonly inventory: InventoryQueryRepository,
    private readonly reads: ConsoleReadRepository,
    private readonly keys: ApiKeysService,
    private readonly config: AppConfig,
  ) {}

  // ---- overview ----

  @Get()
  @SessionOnly()
  @Header('Content-Type', HTML)
  async overview(@CurrentPrincipal() p: Principal, @Req() req: Request): Promise<string> {
    const [stats, minutes, connections] = await Promise.all([
      this.reads.overview(p), this.reads.perMinute(p, 60), this.connections.list(p, { limit: 500 }),
    ]);
    const count = `${connections.items.length}${connections.nextCursor ? '+' : ''}`;
    return consoleViews.page('overview', 'Overview', consoleUser(req), {
      stats, statuses: EVENT_STATUSES, chart: eventsPerMinuteSvg(minutes, new Date()), connections: count,
    }, 'overview');
  }

  // ---- connections ----

  @Get('connections')
  @SessionOnly()
  @Header('Content-Type', HTML)
  async connectionList(@CurrentPrincipal() p: Principal, @Req() req: Request, @Query('cursor') cursor?: string): Promise<string> {
    requireScope(p, 'connections:read');
    const page = await this.connections.list(p, { limit: PAGE_SIZE, cursor: textParam(cursor) });
    const items = await this.withActivity(p, page.items);
    const accounts = await this.reads.accountNames(p);
    return consoleViews.page('connections', 'Connections', consoleUser(req), {
      page: { items, nextCursor: page.nextCursor }, providers: PROVIDERS, accounts,
      accountNames: Object.fromEntries(accounts.map((a) => [a.id, a.name])), canWrite: allows(p, 'connections:write'),
    }, 'connections');
  }

  @Post('connections')
  @SessionOnly()
  @AcceptsForm()
  @HttpCode(200)
  async createConnection(@CurrentPrincipal() p: Principal, @Body() body: Form, @Res({ passthrough: true }) res: Response): Promise<string> {
    requireScope(p, 'connections:write');
    const dto = await validated(CreateConnectionDto, {
      provider: field(body, 'provider'), externalId: field(body, 'externalId'), name: field(body, 'name'),
      accountId: p.accountId === null ? field(body, 'accountId') : undefined,
    });
    const created = await this.connections.create(p, dto);
    res.setHeader('HX-Redirect', `/console/connections/${created.id}`);
    return consoleViews.fragment('flash', { message: `Connection ${created.id} created.` });
  }

  @Get('connections/:id')
  @SessionOnly()
  @Header('Content-Type', HTML)
  async connection(@CurrentPrincipal() p: Principal, @Param() { id }: ConnectionIdParam, @Req() req: Request, @Query('cursor') cursor?: string): Promise<string> {
    requireScope(p, 'connections:read');
    const c = await this.connections.get(p, id);
    const [withActivity] = await this.withActivity(p, [c]);
    const mappings = await this.connections.listMappings(p, id, { limit: PAGE_SIZE, cursor: textParam(cursor) });
    return consoleViews.page('connection', c.name ?? `${c.provider} connection`, consoleUser(req), {
      c: withActivity, mappings, canWrite: allows(p, 'connections:write'), lockmeEnabled: this.config.enabled.lockme,
    }, 'connections');
  }

  @Post('connections/:id/status')
  @SessionOnly()
  @AcceptsForm()
  @HttpCode(200)
  async setStatus(@CurrentPrincipal() p: Principal, @Param() { id }: ConnectionIdParam, @Body() body: Form, @Res({ passthrough: true }) res: Response): Promise<string> {
    requireScope(p, 'connections:write');
    const status = field(body, 'status');
    if (status !== 'active' && status !== 'disabled') throw badRequest('status must be active or disabled', [{ field: 'status', message: 'active or disabled' }]);
    const updated = await this.connections.update(p, id, { status });
    res.setHeader('HX-Refresh', 'true');
    return consoleViews.fragment('flash', { message: `The connection is ${updated.status}.` });
  }

  @Post('connections/:id/resync')
  @SessionOnly()
  @AcceptsForm()
  @HttpCode(200)
  async resync(@CurrentPrincipal() p: Principal, @Param() { id }: ConnectionIdParam): Promise<string> {
    requireScope(p, 'connections:write');
    const c = await this.connections.get(p, id);
    const queued = await this.intake.requestResync(c.provider, c.id);
    return consoleViews.fragment('flash', { message: `Resync queued as event ${queued.eventId} (${queued.status}).` });
  }

  @Post('connections/:id/locations')
  @SessionOnly()
  @AcceptsForm()
  @HttpCode(200)
  async mapLocation(@CurrentPrincipal() p: Principal, @Param() { id }: ConnectionIdParam, @Body() body: Form, @Res({ passthrough: true }) res: Response): Promise<string> {
    requireScope(p, 'connections:write');
    const dto = await validated(CreateMappingDto, {
      locationId: field(body, 'locationId'), externalId: field(body, 'externalId'), name: field(body, 'name'), timezone: field(body, 'timezone'),
    });
    const mapping = await this.connections.addMapping(p, id, dto);
    res.setHeader('HX-Refresh', 'true');
    return consoleViews.fragment('flash', { message: `Location ${mapping.locationId} mapped.` });
  }

  @Delete('connections/:id/locations/:locationId')
  @SessionOnly()
  @HttpCode(200)
  async unmapLocation(@CurrentPrincipal() p: Principal, @Param() { id, locationId }: MappingParams, @Res({ passthrough: true }) res: Response): Promise<string> {
    requireScope(p, 'connections:write');
    await this.connections.removeMapping(p, id, locationId);
    res.setHeader('HX-Refresh', 'true');
    return consoleViews.fragment('flash', { message: `Location ${locationId} unmapped.` });
  }

  // ---- events ----

  @Get('events')
  @SessionOnly()
  @Header('Content-Type', HTML)
  async eventList(@CurrentPrincipal() p: Principal, @Req() req: Request, @Query() raw: Record<string, unknown>): Promise<string> {
    requireScope(p, 'events:read');
    const q = await validated(EventListQuery, {
      provider: field(raw, 'provider'), status: field(raw, 'status'), connectionId: field(raw, 'connectionId'), cursor: field(raw, 'cursor'),
      receivedFrom: field(raw, 'receivedFrom'), receivedTo: field(raw, 'receivedTo'),
    });
    const page = await this.events.list(p, { ...q, limit: PAGE_SIZE });
    return consoleViews.page('events', 'Events', consoleUser(req), { page, q, providers: PROVIDERS, statuses: EVENT_STATUSES }, 'events');
  }

  @Get('events/:id')
  @SessionOnly()
  @Header('Content-Type', HTML)
  async event(@CurrentPrincipal() p: Principal, @Param() { id }: EventIdParam, @Req() req: Request): Promise<string> {
    requireScope(p, 'events:read');
    const e = await this.events.get(p, id);
    const view = { ...e, headers: redactDeep(e.headers) };
    return consoleViews.page('event', `Event ${e.eventType}`, consoleUser(req), {
      e: view, why: whyItWaits(e), canReplay: allows(p, 'events:write') && REPLAYABLE.has(e.status),
    }, 'events');
  }

  @Post('events/:id/replay')
  @SessionOnly()
  @AcceptsForm()
  @HttpCode(200)
  async replay(@CurrentPrincipal() p: Principal, @Param() { id }: EventIdParam, @Body() body: Form): Promise<string> {
    requireScope(p, 'events:write');
    const e = await this.events.replay(p, id, field(body, 'force') === 'true');
    return consoleViews.fragment('flash', { message: `Replayed: the event is ${e.status}. Reload to follow it.` });
  }

  // ---- API keys ----

  @Get('keys')
  @SessionOnly()
  @Header('Content-Type', HTML)
  async keyList(@CurrentPrincipal() p: Principal, @Req() req: Request, @Query('cursor') cursor?: string): Promise<string> {
    const page = await this.reads.listKeys(p, { limit: PAGE_SIZE, cursor: textParam(cursor) });
    const accounts = await this.reads.accountNames(p);
    return consoleViews.page('keys', 'API keys', consoleUser(req), {
      page, accounts, accountNames: Object.fromEntries(accounts.map((a) => [a.id, a.name])), scopes: p.accountId === null && allows(p, 'admin') ? SCOPES : ACCOUNT_SCOPES,
    }, 'keys');
  }

  /**
   * Admin: any key. An account user: a key of its own account, with scopes it holds itself (never admin). The
   * key is in this answer only.
   */
  @Post('keys')
  @SessionOnly()
  @AcceptsForm()
  @HttpCode(200)
  async createKey(@CurrentPrincipal() p: Principal, @Body() body: Form): Promise<string> {
    const scopes = fields(body, 'scopes');
    for (const s of scopes) if (!allows(p, s as never)) throw badRequest(`this session cannot give a key the ${s} scope`, [{ field: 'scopes', message: `${s} is not yours to give` }]);
    const expires = field(body, 'expiresAt');
    if (expires !== undefined && !DATE.test(expires)) throw badRequest('expiresAt is a date', [{ field: 'expiresAt', message: 'YYYY-MM-DD' }]);
    const dto = await validated(CreateApiKeyDto, {
      name: field(body, 'name'), scopes,
      accountId: p.accountId ?? field(body, 'accountId'),
      expiresAt: expires ? `${expires}T00:00:00Z` : undefined,
    });
    const created = await this.keys.create(dto);
    return consoleViews.fragment('keyCreated', { k: created });
  }

  @Delete('keys/:id')
  @SessionOnly()
  @HttpCode(200)
  async revokeKey(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Res({ passthrough: true }) res: Response): Promise<string> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) || !(await this.reads.keyVisible(p, id))) throw notFound('API key', id);
    await this.keys.revoke(id);
    res.setHeader('HX-Refresh', 'true');
    return consoleViews.fragment('flash', { message: 'Key revoked.' });
  }

  // ---- inventory ----

  @Get('inventory')
  @SessionOnly()
  @Header('Content-Type', HTML)
  async locations(@CurrentPrincipal() p: Principal, @Req() req: Request, @Query('cursor') cursor?: string): Promise<string> {
    requireScope(p, 'inventory:read');
    const page = await this.inventory.listLocations(p, { limit: PAGE_SIZE, cursor: textParam(cursor) });
    return consoleViews.page('locations', 'Inventory: locations', consoleUser(req), { page }, 'inventory');
  }

  @Get('inventory/locations/:id')
  @SessionOnly()
  @Header('Content-Type', HTML)
  async location(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Req() req: Request, @Query('cursor') cursor?: string): Promise<string> {
    requireScope(p, 'inventory:read');
    const l = await this.inventory.findLocation(p, inventoryId(id));
    if (!l) throw notFound('location', id);
    const page = await this.inventory.listResources(p, { locationId: l.id, limit: PAGE_SIZE, cursor: textParam(cursor) });
    return consoleViews.page('location', `Location ${l.id}`, consoleUser(req), { l, page }, 'inventory');
  }

  @Get('inventory/resources/:id')
  @SessionOnly()
  @Header('Content-Type', HTML)
  async resource(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Req() req: Request, @Query() raw: Record<string, unknown>): Promise<string> {
    requireScope(p, 'inventory:read');
    const r = await this.inventory.findResource(p, inventoryId(id));
    if (!r) throw notFound('resource', id);
    const [bookings, availability, rates, channels] = await Promise.all([
      this.inventory.listBookings(p, r.id, { limit: 20, cursor: field(raw, 'bookingsCursor') }),
      this.inventory.listAvailability(p, r.id, { limit: 20, cursor: field(raw, 'availabilityCursor') }),
      this.inventory.listRates(p, r.id, { limit: 50 }),
      this.reads.losChannels(p, r.id),
    ]);
    const los = await this.losGrid(p, r.id, channels, field(raw, 'channel'), field(raw, 'arrivalFrom'), field(raw, 'days'));
    return consoleViews.page('resource', `${r.name ?? r.id}`, consoleUser(req), { r, bookings, availability, rates, channels, los }, 'inventory');
  }

  // ---- helpers ----

  /** The LOS grid of one resource + channel: arrival dates × lengths of stay, read page by page up to a cap. */
  private async losGrid(p: Principal, resourceId: string, channels: string[], channelParam?: string, fromParam?: string, daysParam?: string) {
    const cellLimit = 3000;
    const channel = channelParam && channels.includes(channelParam) ? channelParam : channels[0];
    const days = Math.min(62, Math.max(1, Number.parseInt(daysParam ?? '14', 10) || 14));
    if (fromParam !== undefined && !DATE.test(fromParam)) throw badRequest('arrivalFrom is a date', [{ field: 'arrivalFrom', message: 'YYYY-MM-DD' }]);
    if (!channel) return { channel: null, arrivalFrom: '', days, lengths: [], rows: [], truncated: false, cellLimit };
    let arrivalFrom = fromParam;
    if (!arrivalFrom) {
      const first = await this.inventory.listLos(p, { resourceId, channel, limit: 1 });
      arrivalFrom = first.items[0]?.arrivalDate ?? new Date().toISOString().slice(0, 10);
    }
    const arrivalTo = new Date(Date.parse(`${arrivalFrom}T00:00:00Z`) + (days - 1) * 86400_000).toISOString().slice(0, 10);
    const cells: LosView[] = [];
    let cursor: string | undefined;
    let truncated = false;
    do {
      const page = await this.inventory.listLos(p, { resourceId, channel, arrivalFrom, arrivalTo, limit: 500, cursor });
      cells.push(...page.items);
      cursor = page.nextCursor ?? undefined;
      if (cells.length >= cellLimit && cursor) { truncated = true; break; }
    } while (cursor);
    const lengths = [...new Set(cells.map((c) => c.lengthOfStay))].sort((a, b) => a - b);
    const byDate = new Map<string, Map<number, { price: string | number | null; units: number }>>();
    for (const c of cells) {
      const row = byDate.get(c.arrivalDate) ?? new Map();
      row.set(c.lengthOfStay, { price: c.price, units: c.unitsAvailable });
      byDate.set(c.arrivalDate, row);
    }
    const rows = [...byDate.keys()].sort().map((date) => ({ date, cells: lengths.map((n) => byDate.get(date)!.get(n) ?? null) }));
    return { channel, arrivalFrom, days, lengths, rows, truncated, cellLimit };
  }

  private async withActivity(p: Principal, items: ConnectionView[]) {
    const activity = await this.reads.connectionActivity(p, items.map((c) => c.id));
    return Promise.all(items.map(async (c) => ({
      ...c,
      lastWebhookAt: activity.get(c.id)?.lastWebhookAt ?? null,
      lastSuccessAt: activity.get(c.id)?.lastSuccessAt ?? null,
      tokenState: await this.tokenState(c),
    })));
  }

  /** What the stored credentials amount to, never the tokens themselves. */
  private async tokenState(c: ConnectionView): Promise<string> {
    if (c.provider === 'syncaroo') return 'platform credentials';
    const creds = await this.connections.getCredentials(c.id);
    if (!creds || (!creds.accessToken && !creds.refreshToken)) return 'none';
    const parts = [creds.refreshToken ? 'refresh token' : 'access token only'];
    if (creds.expiresAt) parts.push(Date.parse(creds.expiresAt) <= Date.now() ? 'access token expired' : `access token until ${creds.expiresAt.slice(0, 16).replace('T', ' ')} UTC`);
    return parts.join(', ');
  }
}

const REPLAYABLE = new Set(['done', 'failed', 'held', 'dead', 'ignored']);

function whyItWaits(e: EventDetailView): string {
  switch (e.status) {
    case 'held': return `held until an admin action removes the cause: ${e.lastError ?? 'unknown cause'}`;
    case 'processing': return 'running now';
    case 'pending': return e.waitingFor ? 'in line behind an earlier event of the same item' : 'in line, to run next';
    case 'failed': return e.waitingFor ? 'behind an earlier event of the same item' : `failed; retried at ${e.nextAttemptAt ?? 'the next attempt'}`;
    case 'dead': return `gave up after ${e.attempts} attempts: replay it once the cause is fixed`;
    default: return 'not waiting (finished)';
  }
}

function textParam(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function inventoryId(id: string): string {
  if (!INVENTORY_ID.test(id)) throw notFound('item', id);
  return id;
}
