import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import helmet from 'helmet';
import { AppConfig } from '../../config/app-config';
import { ConnectionsModule } from '../../connections/connections.module';
import { IngestionModule } from '../../ingestion/ingestion.module';
import { InventoryModule } from '../../inventory/inventory.module';
import { SyncarooGrantsRepository } from './partner/syncaroo-grants.repository';
import { SyncarooOAuthController, SyncarooPartnerController, SyncarooRegistrationController } from './partner/syncaroo-oauth.controller';
import { SyncarooOAuthService } from './partner/syncaroo-oauth.service';
import { SyncarooPartnerService } from './partner/syncaroo-partner.service';
import { SyncarooApiClient } from './syncaroo-api.client';
import { SyncarooHashVerifier } from './syncaroo-hash.verifier';
import { SyncarooSyncHandler } from './syncaroo-sync.handler';
import { SyncarooTargetsRepository } from './syncaroo-targets.repository';
import { SyncarooWebhookController } from './syncaroo-webhook.controller';

/** Syncaroo: webhook controller, API client, sync handler (registered with ingestion); tier 2's authorization server. */
@Module({
  imports: [IngestionModule, ConnectionsModule, InventoryModule],
  controllers: [SyncarooWebhookController, SyncarooOAuthController, SyncarooPartnerController, SyncarooRegistrationController],
  providers: [SyncarooHashVerifier, SyncarooApiClient, SyncarooTargetsRepository, SyncarooSyncHandler, SyncarooGrantsRepository, SyncarooOAuthService, SyncarooPartnerService],
  exports: [SyncarooSyncHandler],
})
export class SyncarooModule implements NestModule {
  constructor(private readonly config: AppConfig) {}

  /**
   * The consent page's headers: no script at all, forms may post only here and (the redirect after a decision)
   * to the registered redirect URIs' origins, no framing (clickjacking of the Approve button).
   */
  configure(consumer: MiddlewareConsumer): void {
    const redirectOrigins = (this.config.syncarooPartner?.redirectUris ?? []).map((u) => new URL(u).origin);
    consumer.apply(helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], imgSrc: ["'self'"], scriptSrc: ["'none'"],
          formAction: ["'self'", ...redirectOrigins], frameAncestors: ["'none'"], baseUri: ["'none'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
    })).forRoutes({ path: 'oauth/syncaroo/authorize', method: RequestMethod.ALL });
  }
}
