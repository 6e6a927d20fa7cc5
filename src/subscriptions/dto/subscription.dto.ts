import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsOptional, IsString, IsUUID, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { CHANGE_TYPES } from '../../changes/entities/change.entity';
import type { ChangeType } from '../../changes/entities/change.entity';
import { DELIVERY_STATUSES } from '../entities/subscription-delivery.entity';
import type { DeliveryStatus } from '../entities/subscription-delivery.entity';
import { SUBSCRIPTION_STATUSES } from '../entities/subscription.entity';
import type { SubscriptionStatus } from '../entities/subscription.entity';

const TYPES_DESCRIPTION = `change types to deliver (${CHANGE_TYPES.join(', ')}); omitted or null = every type`;
const typesRules = () => [
  IsArray({ message: 'types must be a list of change types' }),
  ArrayMinSize(1, { message: 'types must name at least one type (leave it out, or null, for every type)' }),
  ArrayMaxSize(CHANGE_TYPES.length),
  ArrayUnique({ message: 'types must not repeat a type' }),
  IsIn(CHANGE_TYPES, { each: true, message: `each of types must be one of ${CHANGE_TYPES.join(', ')}` }),
];
const apply = (decorators: PropertyDecorator[]): PropertyDecorator => (target, key) => decorators.forEach((d) => d(target, key));

export class CreateSubscriptionDto {
  @ApiProperty({ description: 'https URL the changes are POSTed to (http only with SUBSCRIPTIONS_ALLOW_HTTP=true); never a loopback, private or link-local host', maxLength: 2048 })
  @IsString() @MinLength(1) @MaxLength(2048)
  url: string;

  @ApiPropertyOptional({ enum: CHANGE_TYPES, isArray: true, nullable: true, description: TYPES_DESCRIPTION })
  @IsOptional() @apply(typesRules())
  types?: ChangeType[] | null;

  @ApiPropertyOptional({ description: 'admin: the account whose changes it receives (omitted = every account); an account credential: its own account (another → 403)' })
  @IsOptional() @IsUUID('all', { message: 'accountId must be an account id (UUID)' })
  accountId?: string;

  @ApiPropertyOptional({ maxLength: 500, nullable: true })
  @IsOptional() @IsString() @MaxLength(500)
  description?: string | null;
}

export class UpdateSubscriptionDto {
  // Not @IsOptional on url/status: that would let `null` through.
  @ApiPropertyOptional({ maxLength: 2048 }) @ValidateIf((_, v) => v !== undefined) @IsString() @MinLength(1) @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ enum: CHANGE_TYPES, isArray: true, nullable: true, description: `${TYPES_DESCRIPTION}; applies to changes not yet sent` })
  @IsOptional() @apply(typesRules())
  types?: ChangeType[] | null;

  @ApiPropertyOptional({ enum: ['active', 'paused'], description: 'paused: nothing is sent and the position stays; active (also on a failing one): resumes where it stopped' })
  @ValidateIf((_, v) => v !== undefined) @IsIn(['active', 'paused'], { message: 'status must be active or paused' })
  status?: 'active' | 'paused';

  @ApiPropertyOptional({ maxLength: 500, nullable: true }) @IsOptional() @IsString() @MaxLength(500)
  description?: string | null;
}

export class SubscriptionIdParam {
  @IsUUID('all', { message: 'id must be a subscription id (UUID)' }) id: string;
}

export class SubscriptionListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: SUBSCRIPTION_STATUSES }) @IsOptional() @IsIn(SUBSCRIPTION_STATUSES) status?: SubscriptionStatus;
}

export class SubscriptionView {
  @ApiProperty() id: string;
  @ApiProperty() url: string;
  @ApiProperty({ enum: CHANGE_TYPES, isArray: true, nullable: true, description: 'null = every type' }) types: ChangeType[] | null;
  @ApiProperty({ nullable: true, type: String, description: 'null = every account (a global subscription)' }) accountId: string | null;
  @ApiProperty({ enum: SUBSCRIPTION_STATUSES }) status: SubscriptionStatus;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'why it is failing (the last delivery error); null unless failing' }) failingReason: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class CreatedSubscriptionView extends SubscriptionView {
  @ApiProperty({ description: 'whsec_ + base64 of 32 random bytes: the Standard Webhooks signing secret. In this answer only.' }) secret: string;
}

export class SubscriptionPage {
  @ApiProperty({ type: [SubscriptionView] }) items: SubscriptionView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class RotatedSecretView {
  @ApiProperty({ description: 'the new secret (in this answer only); the previous one keeps signing beside it for 24 h' }) secret: string;
}

export class DeliveryView {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'the webhook-id header of this delivery (the same on its retries)' }) webhookId: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status: DeliveryStatus;
  @ApiProperty() attempts: number;
  @ApiProperty({ description: 'feed cursor after the batch\'s last change (the body\'s cursor)' }) cursor: string;
  @ApiProperty({ description: 'changes in the batch' }) changeCount: number;
  @ApiProperty({ nullable: true, type: Number, description: 'HTTP status of the last attempt; null when there was no answer' }) lastStatus: number | null;
  @ApiProperty({ nullable: true, type: String }) lastError: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'pending: when the next attempt is due' }) nextAttemptAt: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) deliveredAt: string | null;
}

export class DeliveryPage {
  @ApiProperty({ type: [DeliveryView], description: 'newest first' }) items: DeliveryView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
