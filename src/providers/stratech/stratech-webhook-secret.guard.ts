import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { safeEqual } from '../../common/crypto.util';
import { notFound, serviceUnavailable } from '../../common/domain.error';
import { AppConfig } from '../../config/app-config';

/**
 * Stratech signs nothing: the URL's `:secret` is the authentication. Checked as a guard, so before the body is
 * read (JsonBodyInterceptor): a wrong secret costs no parsing. Disabled → 503; wrong secret → the same 404 as
 * an unknown route (a guesser learns nothing), compared in constant time.
 */
@Injectable()
export class StratechWebhookSecretGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.config.enabled.stratech) throw serviceUnavailable('Stratech is not enabled on this server');
    const secret = context.switchToHttp().getRequest<Request>().params.secret;
    if (typeof secret !== 'string' || !safeEqual(secret, this.config.env.STRATECH_WEBHOOK_SECRET ?? '')) throw notFound('webhook');
    return true;
  }
}
