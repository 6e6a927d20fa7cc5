import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import type { Tenant } from '../auth/principal';
import { badRequest, notFound } from '../common/domain.error';
import { PageQuery } from '../common/pagination';
import { AvailabilityQuery, BookingListQuery, InventoryIdParam, LosQuery, ResourceListQuery } from './dto/inventory-query.dto';
import { AvailabilityPage, BookingPage, LocationPage, LocationView, LosPage, RatePage, ResourcePage, ResourceView } from './dto/inventory-view.dto';
import { parseZonedTimestamp } from './dto/query-values';
import { InventoryQueryRepository } from './inventory-query.repository';

const BAD_INPUT = { description: 'invalid query parameter, id or cursor (problem+json with errors[].field)' };

function requireOrderedInstants(q: { from?: string; to?: string }): void {
  if (q.from === undefined || q.to === undefined) return;
  if ((parseZonedTimestamp(q.to) as Date) <= (parseZonedTimestamp(q.from) as Date)) {
    throw badRequest('to must be after from', [{ field: 'to', message: 'to must be after from' }]);
  }
}

@ApiTags('inventory: locations')
@Access('inventory:read')
@Controller('locations')
export class LocationsReadController {
  constructor(private readonly queries: InventoryQueryRepository) {}

  @Get()
  @ApiOperation({ summary: 'Locations, ordered by id' })
  @ApiOkResponse({ type: LocationPage })
  @ApiBadRequestResponse(BAD_INPUT)
  list(@CurrentPrincipal() tenant: Tenant, @Query() query: PageQuery): Promise<LocationPage> {
    return this.queries.listLocations(tenant, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: LocationView })
  @ApiNotFoundResponse({ description: 'no such location' })
  @ApiBadRequestResponse(BAD_INPUT)
  async get(@CurrentPrincipal() tenant: Tenant, @Param() { id }: InventoryIdParam): Promise<LocationView> {
    const location = await this.queries.findLocation(tenant, id);
    if (!location) throw notFound('location', id);
    return location;
  }
}

@ApiTags('inventory: resources')
@Access('inventory:read')
@Controller('resources')
export class ResourcesReadController {
  constructor(private readonly queries: InventoryQueryRepository) {}

  @Get()
  @ApiOperation({ summary: 'Resources, ordered by id (by updatedAt, id when updatedSince is given)' })
  @ApiOkResponse({ type: ResourcePage })
  @ApiBadRequestResponse(BAD_INPUT)
  list(@CurrentPrincipal() tenant: Tenant, @Query() query: ResourceListQuery): Promise<ResourcePage> {
    return this.queries.listResources(tenant, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: ResourceView })
  @ApiNotFoundResponse({ description: 'no such resource' })
  @ApiBadRequestResponse(BAD_INPUT)
  async get(@CurrentPrincipal() tenant: Tenant, @Param() { id }: InventoryIdParam): Promise<ResourceView> {
    const resource = await this.queries.findResource(tenant, id);
    if (!resource) throw notFound('resource', id);
    return resource;
  }

  @Get(':id/bookings')
  @ApiOperation({
    summary: 'Bookings of a resource, ordered by start',
    description:
      'A booking is returned when it overlaps the half-open range [from, to): start < to and end > from. ' +
      'A booking without an end counts as the instant it starts (from <= start < to). ' +
      'Without from (or to) the range is open on that side. Cancelled bookings are included unless status filters them out.',
  })
  @ApiOkResponse({ type: BookingPage })
  @ApiNotFoundResponse({ description: 'no such resource' })
  @ApiBadRequestResponse(BAD_INPUT)
  async bookings(@CurrentPrincipal() tenant: Tenant, @Param() { id }: InventoryIdParam, @Query() query: BookingListQuery): Promise<BookingPage> {
    requireOrderedInstants(query);
    const page = await this.queries.listBookings(tenant, id, query);
    // The existence check costs a query only when the page is empty.
    if (page.items.length === 0 && !(await this.queries.resourceExists(tenant, id))) throw notFound('resource', id);
    return page;
  }

  @Get(':id/rates')
  @ApiOperation({ summary: 'Rates of a resource (price per hour, half-day, day, week or month), ordered by id' })
  @ApiOkResponse({ type: RatePage })
  @ApiNotFoundResponse()
  @ApiBadRequestResponse(BAD_INPUT)
  async rates(@CurrentPrincipal() tenant: Tenant, @Param() { id }: InventoryIdParam, @Query() query: PageQuery): Promise<RatePage> {
    const page = await this.queries.listRates(tenant, id, query);
    if (page.items.length === 0 && !(await this.queries.resourceExists(tenant, id))) throw notFound('resource', id);
    return page;
  }

  @Get(':id/availability')
  @ApiOperation({
    summary: 'Availability windows of a resource, ordered by start',
    description:
      'Windows overlapping the half-open range [from, to): start < to and end > from, returned as stored (not clipped). ' +
      'Paginated like every list: limit 1..500 (default 100) and nextCursor.',
  })
  @ApiOkResponse({ type: AvailabilityPage })
  @ApiNotFoundResponse({ description: 'no such resource' })
  @ApiBadRequestResponse(BAD_INPUT)
  async availability(@CurrentPrincipal() tenant: Tenant, @Param() { id }: InventoryIdParam, @Query() query: AvailabilityQuery): Promise<AvailabilityPage> {
    requireOrderedInstants(query);
    const page = await this.queries.listAvailability(tenant, id, query);
    if (page.items.length === 0 && !(await this.queries.resourceExists(tenant, id))) throw notFound('resource', id);
    return page;
  }
}

@ApiTags('inventory: length of stay')
@Access('inventory:read')
@Controller('los')
export class LosReadController {
  constructor(private readonly queries: InventoryQueryRepository) {}

  @Get()
  @ApiOperation({
    summary: 'Length-of-stay price and availability cells',
    description:
      'Ordered by (resourceId, channel, arrivalDate, lengthOfStay) when resourceId is given or neither locationId nor channel is; ' +
      'otherwise (locationId or channel without resourceId) by (arrivalDate, resourceId, channel, lengthOfStay). ' +
      'arrivalFrom and arrivalTo are inclusive calendar dates. ' +
      'An unknown locationId or resourceId simply matches nothing.',
  })
  @ApiOkResponse({ type: LosPage })
  @ApiBadRequestResponse(BAD_INPUT)
  list(@CurrentPrincipal() tenant: Tenant, @Query() query: LosQuery): Promise<LosPage> {
    // YYYY-MM-DD strings compare like the dates they name.
    if (query.arrivalFrom !== undefined && query.arrivalTo !== undefined && query.arrivalTo < query.arrivalFrom) {
      throw badRequest('arrivalTo must not be before arrivalFrom', [{ field: 'arrivalTo', message: 'arrivalTo must not be before arrivalFrom' }]);
    }
    return this.queries.listLos(tenant, query);
  }
}
