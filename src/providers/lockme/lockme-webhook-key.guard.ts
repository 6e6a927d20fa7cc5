import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { notFound, serviceUnavailable } from '../../common/domain.error';
import { ConnectionsService } from '../../connections/connections.service';
import { ConnectionEntity } from '../../connections/entities/connection.entity';
import { AppConfig } from '../../config/app-config';

/** Where the guard leaves the connection its key named, for the controller. */
export const LOCKME_CONNECTION = Symbol('lockme-connection');
export type LockmeWebhookRequest = Request & { [LOCKME_CONNECTION]?: ConnectionEntity };

/**
 * Lockme signs nothing: the per-connection key in the URL is the authentication. Checked as a guard, so before
 * the body is read (JsonBodyInterceptor): an unknown key costs one indexed lookup and no parsing.
 * Disabled → 503; unknown key → the same 404 as an unknown route.
 */
@Injectable()
export class LockmeWebhookKeyGuard implements CanActivate {
  constructor(private readonly connections: ConnectionsService, private readonly config: AppConfig) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.config.enabled.lockme) throw serviceUnavailable('Lockme is not enabled on this server');
    const req = context.switchToHttp().getRequest<LockmeWebhookRequest>();
    const key = req.params.webhookKey;
    // Looked up by the key's SHA-256 in a unique index: no per-character comparison of the secret.
    const connection = typeof key === 'string' ? await this.connections.findByLockmeWebhookKey(key) : null;
    if (!connection) throw notFound('webhook');
    req[LOCKME_CONNECTION] = connection;
    return true;
  }
}
