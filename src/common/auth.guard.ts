import { applyDecorators, CanActivate, ExecutionContext, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config';
import { safeEqual } from './crypto.util';
import { forbidden, unauthorized } from './domain.error';

export type AccessLevel = 'admin' | 'read';
const ACCESS = 'inventory-sync:access';

@Injectable()
export class BearerGuard implements CanActivate {
  constructor(private readonly reflector: Reflector, private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const level = this.reflector.getAllAndOverride<AccessLevel>(ACCESS, [context.getHandler(), context.getClass()]);
    if (!level) return true;
    const header = context.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized();
    const token = match[1];
    if (safeEqual(token, this.config.env.ADMIN_TOKEN)) return true;
    const readToken = this.config.env.READ_TOKEN;
    if (readToken && safeEqual(token, readToken)) {
      if (level === 'read') return true;
      throw forbidden('the read token cannot use the admin API');
    }
    throw unauthorized();
  }
}

/** `@Access('admin')`: ADMIN_TOKEN only; `@Access('read')`: READ_TOKEN or ADMIN_TOKEN. */
export const Access = (level: AccessLevel) =>
  applyDecorators(
    SetMetadata(ACCESS, level),
    UseGuards(BearerGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'missing or wrong bearer token' }),
    ...(level === 'admin' ? [ApiForbiddenResponse({ description: 'READ_TOKEN used on the admin API' })] : []),
  );
