import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { PAGE_FIELDS, PageQuery } from '../../common/pagination';
import { FAST_PARSE, fastDto, FastField, NO } from '../../common/validation.pipe';
import { PROVIDERS } from '../../connections/entities/connection.entity';
import type { Provider } from '../../connections/entities/connection.entity';
import { BOOKING_STATUSES } from '../entities/booking.entity';
import type { BookingStatus } from '../entities/booking.entity';
import { RESOURCE_STATUSES, RESOURCE_TYPES } from '../entities/resource.entity';
import type { ResourceStatus, ResourceType } from '../entities/resource.entity';
import { CHANNEL, INVENTORY_ID, INVENTORY_ID_MESSAGE, isCalendarDate, IsCalendarDate, IsZonedTimestamp, parseZonedTimestamp } from './query-values';

/** Query strings are text: only plain decimal integers become numbers, anything else fails @IsInt. */
const ToInteger = () => Transform(({ value }) => (typeof value === 'string' && /^-?\d{1,10}$/.test(value) ? Number(value) : value));

// Fast-path checks (validation.pipe.ts FAST_PARSE): each accepts only what the member's decorators accept, and
// yields the value as they would leave it; anything else takes the full class-validator path and its errors.
const inventoryId: FastField = (v) => (INVENTORY_ID.test(v) ? v : NO);
const oneOf = (values: readonly string[]): FastField => (v) => (values.includes(v) ? v : NO);
const zoned: FastField = (v) => (parseZonedTimestamp(v) !== null ? v : NO);
const calendarDate: FastField = (v) => (isCalendarDate(v) ? v : NO);
const channel: FastField = (v) => (CHANNEL.test(v) ? v : NO);
/** Plain decimal digits within [min, max] (ToInteger also takes a sign and leading zeros: those take the full path). */
const integer = (min: number, max: number): FastField => (v) => (v.length <= 10 && /^(0|[1-9]\d*)$/.test(v) && Number(v) >= min && Number(v) <= max ? Number(v) : NO);

const ZONED_DOC = 'ISO 8601 date-time with a time zone (Z or ±hh:mm), e.g. 2026-03-01T09:00:00Z';

export class InventoryIdParam {
  static readonly [FAST_PARSE] = fastDto(InventoryIdParam, { id: inventoryId }, ['id']);

  @ApiProperty({ pattern: INVENTORY_ID.source, maxLength: 200 })
  @IsString() @Matches(INVENTORY_ID, { message: `id ${INVENTORY_ID_MESSAGE}` })
  id: string;
}

export class ResourceListQuery extends PageQuery {
  static readonly [FAST_PARSE] = fastDto(ResourceListQuery, {
    ...PAGE_FIELDS, locationId: inventoryId, type: oneOf(RESOURCE_TYPES), provider: oneOf(PROVIDERS), status: oneOf(RESOURCE_STATUSES), updatedSince: zoned,
  });

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
  static readonly [FAST_PARSE] = fastDto(BookingListQuery, { ...PAGE_FIELDS, from: zoned, to: zoned, status: oneOf(BOOKING_STATUSES) });

  @ApiPropertyOptional({ description: `${ZONED_DOC}. Inclusive lower bound of the range [from, to).` })
  @IsOptional() @IsZonedTimestamp()
  from?: string;

  @ApiPropertyOptional({ description: `${ZONED_DOC}. Exclusive upper bound of the range [from, to); must be after from.` })
  @IsOptional() @IsZonedTimestamp()
  to?: string;

  @ApiPropertyOptional({ enum: BOOKING_STATUSES }) @IsOptional() @IsIn(BOOKING_STATUSES) status?: BookingStatus;
}

export class AvailabilityQuery extends PageQuery {
  static readonly [FAST_PARSE] = fastDto(AvailabilityQuery, { ...PAGE_FIELDS, from: zoned, to: zoned });

  @ApiPropertyOptional({ description: `${ZONED_DOC}. Windows ending after this instant.` })
  @IsOptional() @IsZonedTimestamp()
  from?: string;

  @ApiPropertyOptional({ description: `${ZONED_DOC}. Windows starting before this instant; must be after from.` })
  @IsOptional() @IsZonedTimestamp()
  to?: string;
}

export class LosQuery extends PageQuery {
  static readonly [FAST_PARSE] = fastDto(LosQuery, {
    ...PAGE_FIELDS, locationId: inventoryId, resourceId: inventoryId, channel, arrivalFrom: calendarDate, arrivalTo: calendarDate,
    lengthOfStay: integer(1, 365), minUnits: integer(0, 2_147_483_647),
  });

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
