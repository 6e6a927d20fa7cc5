import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public, SessionOnly } from './access.decorator';
import { AuthService } from './auth.service';
import { LoginDto, LoginView, SessionView } from './dto/login.dto';

@ApiTags('auth: sessions')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOkResponse({ type: LoginView, description: 'sets the session cookie `isid` (HttpOnly, SameSite=Lax, Secure on https)' })
  @ApiUnauthorizedResponse({ description: 'wrong e-mail or password (one answer for both), or wrong admin token' })
  @ApiTooManyRequestsResponse({ description: 'more than 5 failures for this e-mail within a minute' })
  async login(@Body() dto: LoginDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LoginView> {
    return { user: await this.auth.login(dto, req, res) };
  }

  @Get('session')
  @SessionOnly()
  @ApiOkResponse({ type: SessionView })
  session(@Req() req: Request): SessionView {
    return this.auth.session(req);
  }

  @Post('logout')
  @SessionOnly()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'the session ends (needs x-csrf-token like every cookie change)' })
  logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    return this.auth.logout(req, res);
  }
}
