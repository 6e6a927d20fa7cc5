import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth.guard';
import { EventDetailView, EventIdParam, EventListQuery, EventPage, EventView, ReplayDeadQuery, ReplayQuery } from './dto/event.dto';
import { EventsService } from './events.service';

@ApiTags('admin: events')
@Access('admin')
@Controller('admin/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @ApiOkResponse({ type: EventPage })
  list(@Query() query: EventListQuery): Promise<EventPage> {
    return this.events.list(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: EventDetailView })
  @ApiNotFoundResponse()
  get(@Param() { id }: EventIdParam): Promise<EventDetailView> {
    return this.events.get(id);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: EventView })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'not replayable now, or `stale-replay`: a later event of its item is done (use force=true)' })
  replay(@Param() { id }: EventIdParam, @Query() { force }: ReplayQuery): Promise<EventView> {
    return this.events.replay(id, force === 'true');
  }

  @Post('replay-dead')
  @HttpCode(202)
  @ApiAcceptedResponse({ schema: { example: { replayed: 3, skippedStale: 1 } } })
  replayDead(@Query() { provider }: ReplayDeadQuery): Promise<{ replayed: number; skippedStale: number }> {
    return this.events.replayDead(provider ?? null);
  }
}
