import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../../connections/connections.module';
import { IngestionModule } from '../../ingestion/ingestion.module';
import { InventoryModule } from '../../inventory/inventory.module';
import { SyncarooApiClient } from './syncaroo-api.client';
import { SyncarooHashVerifier } from './syncaroo-hash.verifier';
import { SyncarooSyncHandler } from './syncaroo-sync.handler';
import { SyncarooWebhookController } from './syncaroo-webhook.controller';

/** Syncaroo: webhook controller, API client, sync handler (registered with ingestion). */
@Module({
  imports: [IngestionModule, ConnectionsModule, InventoryModule],
  controllers: [SyncarooWebhookController],
  providers: [SyncarooHashVerifier, SyncarooApiClient, SyncarooSyncHandler],
  exports: [SyncarooSyncHandler],
})
export class SyncarooModule {}
