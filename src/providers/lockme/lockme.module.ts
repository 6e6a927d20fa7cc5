import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../../connections/connections.module';
import { IngestionModule } from '../../ingestion/ingestion.module';
import { InventoryModule } from '../../inventory/inventory.module';
import { LockmeApiClient } from './lockme-api.client';
import { LockmeConnectController } from './lockme-connect.controller';
import { LockmeOAuthStateStore } from './lockme-oauth-state.store';
import { LockmeRoomsCache } from './lockme-rooms.cache';
import { LockmeSyncHandler } from './lockme-sync.handler';
import { LockmeTokenStore } from './lockme-token.store';
import { LockmeWebhookController } from './lockme-webhook.controller';

/** Lockme: webhook controller, connect flow, API client, token store, sync handler (registered with ingestion). */
@Module({
  imports: [ConnectionsModule, InventoryModule, IngestionModule],
  controllers: [LockmeWebhookController, LockmeConnectController],
  providers: [LockmeApiClient, LockmeTokenStore, LockmeRoomsCache, LockmeSyncHandler, LockmeOAuthStateStore],
  exports: [LockmeTokenStore, LockmeSyncHandler],
})
export class LockmeModule {}
