import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IngestionModule } from '../ingestion/ingestion.module';
import { InventoryModule } from '../inventory/inventory.module';
import { ConnectionsController } from './connections.controller';
import { ConnectionsRepository } from './connections.repository';
import { ConnectionTokensService } from './connection-tokens.service';
import { ConnectionsService } from './connections.service';
import { ConnectionEntity } from './entities/connection.entity';
import { LocationMappingEntity } from './entities/location-mapping.entity';

@Module({
  imports: [TypeOrmModule.forFeature([ConnectionEntity, LocationMappingEntity]), InventoryModule, IngestionModule],
  controllers: [ConnectionsController],
  providers: [ConnectionsRepository, ConnectionsService, ConnectionTokensService],
  exports: [ConnectionsService, ConnectionTokensService],
})
export class ConnectionsModule {}
