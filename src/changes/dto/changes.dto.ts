import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { INVENTORY_ID, INVENTORY_ID_MESSAGE } from '../../inventory/dto/query-values';
import { CHANGE_OPS, CHANGE_TYPES } from '../entities/change.entity';
import type { ChangeOp, ChangeType } from '../entities/change.entity';

const ToInteger = () => Transform(({ value }) => (typeof value === 'string' && /^-?\d{1,10}$/.test(value) ? Number(value) : value));
/** `types=booking,los` → ['booking', 'los']; each checked against the list. */
const ToList = () => Transform(({ value }) => (typeof value === 'string' ? value.split(',') : value));

export class ChangeStreamQuery {
  @ApiPropertyOptional({ description: `comma list of ${CHANGE_TYPES.join(', ')}`, example: 'resource,booking' })
  @IsOptional() @ToList() @IsIn(CHANGE_TYPES, { each: true, message: `types must be a comma list of ${CHANGE_TYPES.join(', ')}` })
  types?: ChangeType[];

  @ApiPropertyOptional({ description: 'only changes of this location' })
  @IsOptional() @IsString() @Matches(INVENTORY_ID, { message: `locationId ${INVENTORY_ID_MESSAGE}` })
  locationId?: string;

  @ApiPropertyOptional({ description: 'resume after this cursor (or send Last-Event-ID); `latest` = from now' })
  @IsOptional() @IsString() @MaxLength(100) @Matches(/^(latest|[A-Za-z0-9_-]+)$/, { message: 'cursor is not a cursor this API issued' })
  cursor?: string;
}

export class ChangesQuery extends ChangeStreamQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional() @ToInteger() @IsInt() @Min(1) @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 30, default: 0, description: 'seconds to wait for a change when there is none yet' })
  @IsOptional() @ToInteger() @IsInt() @Min(0) @Max(30)
  wait?: number;
}

export class LosChangeData {
  @ApiProperty() channel: string;
  @ApiProperty({ format: 'date' }) arrivalFrom: string;
  @ApiProperty({ format: 'date' }) arrivalTo: string;
}

export class ChangeItemView {
  @ApiProperty({ description: 'the change\'s id (unique)' }) id: string;
  @ApiProperty({ enum: CHANGE_TYPES }) type: ChangeType;
  @ApiProperty({ enum: CHANGE_OPS, description: 'delete: the entity is gone (a resource: `removed`)' }) op: ChangeOp;
  @ApiProperty() locationId: string;
  @ApiProperty({ nullable: true, type: String }) resourceId: string | null;
  @ApiProperty({ description: 'location, resource or booking id, the rate\'s id; the resource id for availability and los' }) entityId: string;
  @ApiProperty({ format: 'date-time' }) changedAt: string;
  @ApiProperty({ nullable: true, type: LosChangeData, description: 'los: the channel and arrival range of the cells written' }) data: LosChangeData | null;
}

export class ChangePage {
  @ApiProperty({ type: [ChangeItemView] }) items: ChangeItemView[];
  @ApiProperty({ description: 'never null: pass it back to continue; an empty page means nothing new yet' }) nextCursor: string;
}
