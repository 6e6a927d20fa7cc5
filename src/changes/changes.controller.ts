import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiGoneResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import type { Tenant } from '../auth/principal';
import { ChangeStreamService } from './change-stream.service';
import { ChangesService } from './changes.service';
import { ChangePage, ChangesQuery, ChangeStreamQuery } from './dto/changes.dto';

const BAD_INPUT = { description: 'invalid types, locationId, limit, wait or cursor (problem+json with errors[].field)' };
const GONE = { description: 'the cursor is older than the oldest retained change (CHANGES_RETENTION_DAYS): resync from the lists' };

/** Aborts when the client goes away before the answer ends (the response's 'close'; the request's fires once it is read). */
function clientGone(res: Response): AbortSignal {
  const c = new AbortController();
  res.once('close', () => c.abort());
  return c.signal;
}

@ApiTags('change feed')
@Access('changes:read')
@Controller('changes')
export class ChangesController {
  constructor(private readonly changes: ChangesService, private readonly streams: ChangeStreamService) {}

  @Get()
  @ApiOperation({ summary: 'Inventory changes in commit order after a cursor; `wait` long-polls' })
  @ApiOkResponse({ type: ChangePage })
  @ApiBadRequestResponse(BAD_INPUT)
  @ApiGoneResponse(GONE)
  list(@CurrentPrincipal() tenant: Tenant, @Query() query: ChangesQuery, @Res({ passthrough: true }) res: Response): Promise<ChangePage> {
    return this.changes.list(tenant, query, clientGone(res));
  }

  @Get('stream')
  @ApiOperation({ summary: 'The same changes as Server-Sent Events (`id` = cursor after the change; comments keep it open)' })
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'resume after this event id (a cursor)' })
  @ApiOkResponse({ description: 'text/event-stream of `event: change` with the item as JSON data' })
  @ApiBadRequestResponse(BAD_INPUT)
  @ApiGoneResponse(GONE)
  stream(@CurrentPrincipal() tenant: Tenant, @Query() query: ChangeStreamQuery, @Headers('last-event-id') lastEventId: string | undefined,
    @Res() res: Response): Promise<void> {
    return this.streams.serve(tenant, query, lastEventId, res, clientGone(res));
  }
}
