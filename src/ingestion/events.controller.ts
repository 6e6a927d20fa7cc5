import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import type { Tenant } from '../auth/principal';
import { EventDetailView, EventIdParam, EventListQuery, EventPage, EventView, ReplayDeadQuery, ReplayQuery } from './dto/event.dto';
import { EventsService } from './events.service';

@ApiTags('admin: events')
@Controller('admin/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @Access('events:read')
  @ApiOkResponse({ type: EventPage })
  list(@CurrentPrincipal() tenant: Tenant, @Query() query: EventListQuery): Promise<EventPage> {
    return this.events.list(tenant, query);
  }

  @Get(':id')
  @Access('events:read')
  @ApiOkResponse({ type: EventDetailView })
  @ApiNotFoundResponse()
  get(@CurrentPrincipal() tenant: Tenant, @Param() { id }: EventIdParam): Promise<EventDetailView> {
    return this.events.get(tenant, id);
  }

  @Post(':id/replay')
  @Access('events:write')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: EventView })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'not replayable now, or `stale-replay`: a later event of its item is done (use force=true)' })
  replay(@CurrentPrincipal() tenant: Tenant, @Param() { id }: EventIdParam, @Query() { force }: ReplayQuery): Promise<EventView> {
    return this.events.replay(tenant, id, force === 'true');
  }

  @Post('replay-dead')
  @Access('admin')
  @HttpCode(202)
  @ApiAcceptedResponse({ schema: { example: { replayed: 3, skippedStale: 1 } } })
  replayDead(@Query() { provider }: ReplayDeadQuery): Promise<{ replayed: number; skippedStale: number }> {
    return this.events.replayDead(provider ?? null);
  }
}
