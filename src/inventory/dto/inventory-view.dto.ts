import { ApiProperty } from '@nestjs/swagger';
import { RATE_UNITS } from '../entities/rate.entity';
import type { RateUnit } from '../entities/rate.entity';
import { PROVIDERS } from '../../connections/entities/connection.entity';
import { BOOKING_STATUSES } from '../entities/booking.entity';
import type { BookingStatus } from '../entities/booking.entity';
import { RESOURCE_STATUSES, RESOURCE_TYPES } from '../entities/resource.entity';
import type { ResourceStatus, ResourceType } from '../entities/resource.entity';

const INSTANT = { format: 'date-time', example: '2026-03-01T09:00:00.000Z', description: 'UTC' };
const CURSOR = { nullable: true, type: String, description: 'pass as `cursor` for the next page; null on the last page' };

export class LocationView {
  @ApiProperty({ example: '11980' }) id: string;
  @ApiProperty({ nullable: true, type: String }) name: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Europe/Amsterdam' }) timezone: string | null;
  @ApiProperty({ nullable: true, enum: PROVIDERS, description: 'null once no connection owns the location' }) provider: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) connectionId: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'provider-side id (Stratech resortReference)' }) externalId: string | null;
  @ApiProperty(INSTANT) updatedAt: string;
}

export class ResourceView {
  @ApiProperty() id: string;
  @ApiProperty() locationId: string;
  @ApiProperty({ enum: RESOURCE_TYPES }) type: ResourceType;
  @ApiProperty({ nullable: true, type: String }) name: string | null;
  @ApiProperty({ nullable: true, type: Number }) capacity: number | null;
  @ApiProperty({ enum: RESOURCE_STATUSES }) status: ResourceStatus;
  @ApiProperty({ enum: PROVIDERS }) provider: string;
  @ApiProperty({ description: 'the id the provider uses' }) externalId: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'provider-specific attributes' }) attributes: Record<string, unknown>;
  @ApiProperty(INSTANT) updatedAt: string;
}

export class BookingView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() resourceId: string;
  @ApiProperty() externalId: string;
  @ApiProperty(INSTANT) start: string;
  @ApiProperty({ ...INSTANT, nullable: true, type: String, description: 'UTC; null when the provider gave no end' }) end: string | null;
  @ApiProperty({ enum: BOOKING_STATUSES }) status: BookingStatus;
  @ApiProperty({ nullable: true, type: Number }) people: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 129.5 }) price: number | null;
  @ApiProperty({ nullable: true, type: String, example: 'EUR' }) currency: string | null;
  @ApiProperty(INSTANT) updatedAt: string;
}

export class AvailabilityWindowView {
  @ApiProperty(INSTANT) start: string;
  @ApiProperty(INSTANT) end: string;
}

export class LosView {
  @ApiProperty() resourceId: string;
  @ApiProperty() channel: string;
  @ApiProperty({ format: 'date', example: '2026-04-01', description: 'calendar date at the resort, YYYY-MM-DD' }) arrivalDate: string;
  @ApiProperty({ minimum: 1, description: 'nights' }) lengthOfStay: number;
  @ApiProperty() unitsAvailable: number;
  @ApiProperty({ nullable: true, type: Number, description: 'total price of the stay' }) price: number | null;
  @ApiProperty({ nullable: true, type: String }) currency: string | null;
  @ApiProperty(INSTANT) updatedAt: string;
}

export class LocationPage {
  @ApiProperty({ type: [LocationView] }) items: LocationView[];
  @ApiProperty(CURSOR) nextCursor: string | null;
}

export class ResourcePage {
  @ApiProperty({ type: [ResourceView] }) items: ResourceView[];
  @ApiProperty(CURSOR) nextCursor: string | null;
}

export class RateView {
  @ApiProperty({ description: "the provider's id of the rate" }) id: string;
  @ApiProperty() resourceId: string;
  @ApiProperty({ nullable: true, type: String }) name: string | null;
  @ApiProperty({ nullable: true, type: Number, example: 25 }) price: number | null;
  @ApiProperty({ nullable: true, type: String, example: 'EUR' }) currency: string | null;
  @ApiProperty({ enum: RATE_UNITS }) unit: RateUnit;
  @ApiProperty(INSTANT) updatedAt: string;
}

export class RatePage {
  @ApiProperty({ type: [RateView] }) items: RateView[];
  @ApiProperty(CURSOR) nextCursor: string | null;
}

export class BookingPage {
  @ApiProperty({ type: [BookingView] }) items: BookingView[];
  @ApiProperty(CURSOR) nextCursor: string | null;
}

export class AvailabilityPage {
  @ApiProperty({ type: [AvailabilityWindowView] }) items: AvailabilityWindowView[];
  @ApiProperty(CURSOR) nextCursor: string | null;
}

export class LosPage {
  @ApiProperty({ type: [LosView] }) items: LosView[];
  @ApiProperty(CURSOR) nextCursor: string | null;
}
