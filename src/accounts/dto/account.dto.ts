import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, IsTimeZone, IsUUID, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { EXTERNAL_ID } from '../../connections/dto/connection.dto';

export class CreateAccountDto {
  @ApiProperty({ minLength: 1, maxLength: 200 }) @IsString() @MinLength(1) @MaxLength(200) name: string;
  @ApiPropertyOptional({ description: 'your own id of this operator; unique' })
  @IsOptional() @IsString() @Matches(EXTERNAL_ID, { message: 'externalId must be 1-200 letters, digits or ._:*@-' })
  externalId?: string;
}

export class UpdateAccountDto {
  // Not @IsOptional: that would let `null` through to a NOT NULL column.
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 }) @ValidateIf((_, v) => v !== undefined) @IsString() @MinLength(1) @MaxLength(200) name?: string;
}

export class AccountIdParam {
  @IsUUID('all', { message: 'id must be an account id (UUID)' }) id: string;
}

export class AccountLocationParams {
  @IsUUID('all', { message: 'id must be an account id (UUID)' }) id: string;
  @IsString() @Matches(EXTERNAL_ID, { message: 'locationId must be 1-200 letters, digits or ._:*@-' }) locationId: string;
}

export class PutAccountLocationDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(500) name?: string;
  @ApiPropertyOptional({ description: 'IANA time zone' }) @IsOptional() @IsTimeZone({ message: 'timezone must be an IANA time zone' }) timezone?: string;
}

export class CreateUserDto {
  @ApiProperty() @IsString() @MaxLength(320) @IsEmail({}, { message: 'email must be an e-mail address' }) email: string;
  @ApiProperty({ minLength: 12, maxLength: 256, writeOnly: true })
  @IsString() @MinLength(12, { message: 'password must be at least 12 characters' }) @MaxLength(256) password: string;
}

export class UserIdParam {
  @IsUUID('all', { message: 'id must be a user id (UUID)' }) id: string;
}

export class AccountView {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) externalId: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class AccountPage {
  @ApiProperty({ type: [AccountView] }) items: AccountView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class AccountLocationView {
  @ApiProperty() accountId: string;
  @ApiProperty() locationId: string;
  @ApiProperty({ nullable: true, type: String }) name: string | null;
  @ApiProperty({ nullable: true, type: String }) timezone: string | null;
}

export class AccountLocationPage {
  @ApiProperty({ type: [AccountLocationView] }) items: AccountLocationView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class UserView {
  @ApiProperty() id: string;
  @ApiProperty() accountId: string;
  @ApiProperty() email: string;
  @ApiProperty() createdAt: string;
}

export class UserPage {
  @ApiProperty({ type: [UserView] }) items: UserView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
