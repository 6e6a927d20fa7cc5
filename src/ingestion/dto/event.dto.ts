import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { PROVIDERS } from '../../connections/entities/connection.entity';
import { IsZonedTimestamp } from '../../inventory/dto/query-values';
import { EVENT_STATUSES } from '../entities/inbound-event.entity';

export class EventListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: PROVIDERS }) @IsOptional() @IsIn(PROVIDERS) provider?: string;
  @ApiPropertyOptional({ enum: EVENT_STATUSES }) @IsOptional() @IsIn(EVENT_STATUSES) status?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID('all', { message: 'connectionId must be a connection id (UUID)' }) connectionId?: string;
  @ApiPropertyOptional({ description: 'only events received at or after this instant (ISO 8601 with a time zone)' })
  @IsOptional() @IsZonedTimestamp() receivedFrom?: string;
  @ApiPropertyOptional({ description: 'only events received before this instant (ISO 8601 with a time zone)' })
  @IsOptional() @IsZonedTimestamp() receivedTo?: string;
}

export class EventIdParam {
  @IsUUID('all', { message: 'id must be an event id (UUID)' }) id: string;
}

export class ReplayQuery {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'replay even though a later event of the same item is done' })
  @IsOptional() @IsIn(['true', 'false']) force?: string;
}

export class ReplayDeadQuery {
  @ApiPropertyOptional({ enum: PROVIDERS }) @IsOptional() @IsIn(PROVIDERS) provider?: string;
}

export class EventView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: PROVIDERS }) provider: string;
  @ApiProperty({ nullable: true, type: String }) connectionId: string | null;
  @ApiProperty() eventType: string;
  @ApiProperty({ enum: EVENT_STATUSES }) status: string;
  @ApiProperty() receivedAt: string;
  @ApiProperty({ nullable: true, type: String }) processedAt: string | null;
  @ApiProperty() attempts: number;
  @ApiProperty({ nullable: true, type: String }) nextAttemptAt: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'last failure, or why the event is held / ignored' }) lastError: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'the earlier event of the same item this one waits behind (held, failed or running)' }) waitingFor: string | null;
}

export class EventDetailView extends EventView {
  @ApiProperty({ description: 'the webhook body, secrets redacted' }) payload: Record<string, unknown>;
  @ApiProperty({ description: 'the kept request headers' }) headers: Record<string, string>;
  @ApiProperty({ nullable: true, type: String, description: 'x-request-id of the request that stored it (also in the worker log lines for it)' }) requestId: string | null;
}

export class EventPage {
  @ApiProperty({ type: [EventView] }) items: EventView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class WebhookAnswerView {
  @ApiProperty() eventId: string;
  @ApiProperty({ enum: ['accepted', 'coalesced', 'duplicate'] }) status: string;
}
