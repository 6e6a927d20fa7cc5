import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** Either {email, password} (an account user) or {adminToken} (an admin session). */
export class LoginDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(320) email?: string;
  @ApiPropertyOptional({ writeOnly: true }) @IsOptional() @IsString() @MinLength(1) @MaxLength(256) password?: string;
  @ApiPropertyOptional({ writeOnly: true }) @IsOptional() @IsString() @MinLength(1) @MaxLength(512) adminToken?: string;
}

export class SessionUserView {
  @ApiProperty({ nullable: true, type: String }) id: string | null;
  @ApiProperty({ nullable: true, type: String }) email: string | null;
  @ApiProperty({ nullable: true, type: String }) accountId: string | null;
  @ApiProperty({ description: 'an admin session (opened with the admin token): every scope, every account' }) admin: boolean;
}

export class LoginView {
  @ApiProperty({ type: SessionUserView }) user: SessionUserView;
}

export class SessionView extends LoginView {
  @ApiProperty({ description: 'send it as x-csrf-token on every cookie-authenticated POST, PATCH, PUT and DELETE' }) csrfToken: string;
}
