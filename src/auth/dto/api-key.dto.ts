import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsISO8601, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { SCOPES } from '../scopes';
import type { Scope } from '../scopes';

export class CreateApiKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 200 }) @IsString() @MinLength(1) @MaxLength(200) name: string;
  @ApiProperty({ enum: SCOPES, isArray: true, description: 'an account key cannot hold admin' })
  @IsArray() @ArrayMinSize(1, { message: 'scopes must name at least one scope' }) @ArrayMaxSize(SCOPES.length)
  @IsIn(SCOPES, { each: true, message: `each scope must be one of ${SCOPES.join(', ')}` })
  scopes: Scope[];
  @ApiPropertyOptional({ description: 'the account the key is bound to; omitted = a global key' })
  @IsOptional() @IsUUID('all', { message: 'accountId must be an account id (UUID)' }) accountId?: string;
  @ApiPropertyOptional({ description: 'ISO 8601, in the future' }) @IsOptional() @IsISO8601({ strict: true }, { message: 'expiresAt must be an ISO 8601 time' }) expiresAt?: string;
}

export class ApiKeyIdParam {
  @IsUUID('all', { message: 'id must be an API key id (UUID)' }) id: string;
}

export class ApiKeyView {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) accountId: string | null;
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes: Scope[];
  @ApiProperty({ description: 'the first 12 characters of the key' }) prefix: string;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) expiresAt: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'at most a minute stale' }) lastUsedAt: string | null;
}

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({ description: 'the key itself: shown in this answer only (only its hash is stored)' }) key: string;
}

export class ApiKeyPage {
  @ApiProperty({ type: [ApiKeyView] }) items: ApiKeyView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
