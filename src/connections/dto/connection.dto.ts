import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsISO8601, IsTimeZone, IsNotEmptyObject, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { CONNECTION_STATUSES, PROVIDERS } from '../entities/connection.entity';
import type { ConnectionStatus, Provider } from '../entities/connection.entity';

export const EXTERNAL_ID = /^[A-Za-z0-9][A-Za-z0-9._:*@-]{0,199}$/;

export class CredentialsDto {
  @ApiPropertyOptional({ writeOnly: true }) @IsOptional() @IsString() @MinLength(1) @MaxLength(4000) accessToken?: string;
  @ApiPropertyOptional({ writeOnly: true }) @IsOptional() @IsString() @MinLength(1) @MaxLength(4000) refreshToken?: string;
  @ApiPropertyOptional({ description: 'access token expiry, ISO 8601' }) @IsOptional() @IsISO8601({ strict: true }) expiresAt?: string;
}

export class CreateConnectionDto {
  @ApiProperty({ enum: PROVIDERS }) @IsIn(PROVIDERS) provider: Provider;
  @ApiPropertyOptional({ description: 'Syncaroo: its connectionId (required); Stratech: organizationReference (required); Lockme: optional' })
  @IsOptional() @IsString() @Matches(EXTERNAL_ID, { message: 'externalId must be 1-200 letters, digits or ._:*@-' })
  externalId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(200) name?: string;
  @ApiPropertyOptional({ description: 'the owning account (admin); with an account credential, its own account' })
  @IsOptional() @IsUUID('all', { message: 'accountId must be an account id (UUID)' }) accountId?: string;
  @ApiPropertyOptional({ type: CredentialsDto, description: 'write-only; Lockme: {accessToken, refreshToken, expiresAt?}' })
  @IsOptional() @IsNotEmptyObject() @ValidateNested() @Type(() => CredentialsDto) credentials?: CredentialsDto;
}

export class UpdateConnectionDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(200) name?: string;
  @ApiPropertyOptional({ description: 'give the connection (and the listings it maps that have no account) to this account (admin)' })
  @IsOptional() @IsUUID('all', { message: 'accountId must be an account id (UUID)' }) accountId?: string;
  @ApiPropertyOptional({ enum: ['active', 'disabled'] }) @IsOptional() @IsIn(['active', 'disabled']) status?: 'active' | 'disabled';
  @ApiPropertyOptional({ type: CredentialsDto }) @IsOptional() @IsNotEmptyObject() @ValidateNested() @Type(() => CredentialsDto) credentials?: CredentialsDto;
}

export class ConnectionIdParam {
  @IsUUID('all', { message: 'id must be a connection id (UUID)' }) id: string;
}

export class ConnectionListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: PROVIDERS }) @IsOptional() @IsIn(PROVIDERS) provider?: Provider;
  @ApiPropertyOptional({ enum: CONNECTION_STATUSES }) @IsOptional() @IsIn(CONNECTION_STATUSES) status?: ConnectionStatus;
}

export class ConnectionView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: PROVIDERS }) provider: Provider;
  @ApiProperty({ nullable: true, type: String }) externalId: string | null;
  @ApiProperty({ nullable: true, type: String }) name: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'the owning account' }) accountId: string | null;
  @ApiProperty({ enum: CONNECTION_STATUSES }) status: ConnectionStatus;
  @ApiProperty({ nullable: true, type: String, description: 'the URL to give the provider for webhooks (Lockme: contains the per-connection secret)' })
  webhookUrl: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class ConnectionPage {
  @ApiProperty({ type: [ConnectionView] }) items: ConnectionView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class CreateMappingDto {
  @ApiProperty({ description: 'the platform location id (Syncaroo: the locationId carried in webhooks)' })
  @IsString() @Matches(EXTERNAL_ID, { message: 'locationId must be 1-200 letters, digits or ._:*@-' })
  locationId: string;
  @ApiPropertyOptional({ description: 'the provider-side id (Stratech: resortReference)' })
  @IsOptional() @IsString() @Matches(EXTERNAL_ID, { message: 'externalId must be 1-200 letters, digits or ._:*@-' })
  externalId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(500) name?: string;
  @ApiPropertyOptional({ example: 'Europe/Amsterdam' })
  @IsOptional() @IsString() @MaxLength(64) @IsTimeZone({ message: 'timezone must be an IANA time zone such as Europe/Warsaw' })
  timezone?: string;
}

export class MappingParams {
  @IsUUID('all', { message: 'id must be a connection id (UUID)' }) id: string;
  @IsString() @Matches(EXTERNAL_ID, { message: 'locationId is not a valid location id' }) locationId: string;
}

export class MappingView {
  @ApiProperty() connectionId: string;
  @ApiProperty() locationId: string;
  @ApiProperty({ nullable: true, type: String }) externalId: string | null;
  @ApiProperty() createdAt: string;
}

export class MappingPage {
  @ApiProperty({ type: [MappingView] }) items: MappingView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
