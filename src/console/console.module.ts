import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { ConnectionsModule } from '../connections/connections.module';
import { IngestionModule } from '../ingestion/ingestion.module';
import { InventoryModule } from '../inventory/inventory.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { ConsoleReadRepository } from './console-read.repository';
import { ConsoleAssetsController, ConsoleAuthController } from './console-auth.controller';
import { ConsoleAdminController } from './console-admin.controller';
import { ConsoleController } from './console.controller';

/**
 * The console's headers: scripts and styles only from this origin (htmx and console.js; no inline script or
 * style), requests (htmx) and forms only to this origin, no framing, nothing cached.
 */
export const CONSOLE_CSP = {
  defaultSrc: ["'none'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], connectSrc: ["'self'"],
  formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"],
};

/** The web console (GET /console): server-rendered eta templates with htmx, next to the services it uses. */
@Module({
  imports: [ConnectionsModule, IngestionModule, InventoryModule, SubscriptionsModule],
  controllers: [ConsoleAssetsController, ConsoleAuthController, ConsoleController, ConsoleAdminController],
  providers: [ConsoleReadRepository],
})
export class ConsoleModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    const noStore = (_req: Request, res: Response, next: NextFunction) => {
      if (!res.getHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-store');
      next();
    };
    consumer
      .apply(helmet({ contentSecurityPolicy: { useDefaults: false, directives: CONSOLE_CSP }, referrerPolicy: { policy: 'same-origin' } }), noStore)
      .forRoutes({ path: 'console', method: RequestMethod.ALL }, { path: 'console/*path', method: RequestMethod.ALL });
  }
}
