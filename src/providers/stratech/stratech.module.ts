import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../../connections/connections.module';
import { IngestionModule } from '../../ingestion/ingestion.module';
import { InventoryModule } from '../../inventory/inventory.module';
import { StratechApiClient } from './stratech-api.client';
import { StratechSyncHandler } from './stratech-sync.handler';
import { StratechTokenStore } from './stratech-token.store';
import { StratechWebhookController } from './stratech-webhook.controller';

/** Stratech: webhook controller, API client, sync handler (registered with ingestion). */
@Module({
  imports: [ConnectionsModule, IngestionModule, InventoryModule],
  controllers: [StratechWebhookController],
  providers: [StratechApiClient, StratechTokenStore, StratechSyncHandler],
  exports: [StratechSyncHandler],
})
export class StratechModule {}
