import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { PROVIDERS } from '../../connections/entities/connection.entity';
import type { Provider } from '../../connections/entities/connection.entity';
import { BOOKING_STATUSES } from '../entities/booking.entity';
import type { BookingStatus } from '../entities/booking.entity';
import { RESOURCE_STATUSES, RESOURCE_TYPES } from '../entities/resource.entity';
import type { ResourceStatus, ResourceType } from '../entities/resource.entity';
import { CHANNEL, INVENTORY_ID, INVENTORY_ID_MESSAGE, IsCalendarDate, IsZonedTimestamp } from './query-values';

/** Query strings are text: only plain decimal integers become numbers, anything else fails @IsInt. */
const ToInteger = () => Transform(({ value }) => (typeof value === 'string' && /^-?\d{1,10}$/.test(value) ? Number(value) : value));

const ZONED_DOC = 'ISO 8601 date-time with a time zone (Z or ±hh:mm), e.g. 2026-03-01T09:00:00Z';

export class InventoryIdParam {
  @ApiProperty({ pattern: INVENTORY_ID.source, maxLength: 200 })
  @IsString() @Matches(INVENTORY_ID, { message: `id ${INVENTORY_ID_MESSAGE}` })
  id: string;
}

export class ResourceListQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'only resources of this location' })
  @IsOptional() @IsString() @Matches(INVENTORY_ID, { message: `locationId ${INVENTORY_ID_MESSAGE}` })
  locationId?: string;

  @ApiPropertyOptional({ enum: RESOURCE_TYPES }) @IsOptional() @IsIn(RESOURCE_TYPES) type?: ResourceType;
  @ApiPropertyOptional({ enum: PROVIDERS }) @IsOptional() @IsIn(PROVIDERS) provider?: Provider;
  @ApiPropertyOptional({ enum: RESOURCE_STATUSES }) @IsOptional() @IsIn(RESOURCE_STATUSES) status?: ResourceStatus;

  @ApiPropertyOptional({
    description: `${ZONED_DOC}. Only resources with updatedAt >= this instant (inclusive, so polling with the last ` +
      'updatedAt seen never misses a change); the list is then ordered by (updatedAt, id) instead of id, ' +
      'which makes it a change feed: a resource changed while paging shows up again on a later page. ' +
      'Changes are served in commit order: a change still being written with an earlier updatedAt holds back ' +
      'the later ones until it commits, so never substitute your own clock for the last updatedAt seen.',
  })
  @IsOptional() @IsZonedTimestamp()
  updatedSince?: string;
}

export class BookingListQuery extends PageQuery {
  @ApiPropertyOptional({ description: `${ZONED_DOC}. Inclusive lower bound of the range [from, to).` })
  @IsOptional() @IsZonedTimestamp()
  from?: string;

  @ApiPropertyOptional({ description: `${ZONED_DOC}. Exclusive upper bound of the range [from, to); must be after from.` })
  @IsOptional() @IsZonedTimestamp()
  to?: string;

  @ApiPropertyOptional({ enum: BOOKING_STATUSES }) @IsOptional() @IsIn(BOOKING_STATUSES) status?: BookingStatus;
}

export class AvailabilityQuery extends PageQuery {
  @ApiPropertyOptional({ description: `${ZONED_DOC}. Windows ending after this instant.` })
  @IsOptional() @IsZonedTimestamp()
  from?: string;

  @ApiPropertyOptional({ description: `${ZONED_DOC}. Windows starting before this instant; must be after from.` })
  @IsOptional() @IsZonedTimestamp()
  to?: string;
}

export class LosQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(INVENTORY_ID, { message: `locationId ${INVENTORY_ID_MESSAGE}` })
  locationId?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(INVENTORY_ID, { message: `resourceId ${INVENTORY_ID_MESSAGE}` })
  resourceId?: string;

  @ApiPropertyOptional({ maxLength: 200 }) @IsOptional() @IsString() @Matches(CHANNEL, { message: 'channel must be 1-200 printable characters' })
  channel?: string;

  @ApiPropertyOptional({ format: 'date', description: 'YYYY-MM-DD, inclusive' }) @IsOptional() @IsCalendarDate()
  arrivalFrom?: string;

  @ApiPropertyOptional({ format: 'date', description: 'YYYY-MM-DD, inclusive; not before arrivalFrom' }) @IsOptional() @IsCalendarDate()
  arrivalTo?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 365, description: 'nights' })
  @IsOptional() @ToInteger() @IsInt() @Min(1) @Max(365)
  lengthOfStay?: number;

  @ApiPropertyOptional({ minimum: 0, description: 'only cells with unitsAvailable >= minUnits' })
  @IsOptional() @ToInteger() @IsInt() @Min(0) @Max(2_147_483_647)
  minUnits?: number;
}
