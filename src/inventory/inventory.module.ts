import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AvailabilityWindowEntity } from './entities/availability-window.entity';
import { BookingEntity } from './entities/booking.entity';
import { LocationEntity } from './entities/location.entity';
import { LosDatasetEntity } from './entities/los-dataset.entity';
import { LosRowEntity } from './entities/los-row.entity';
import { ResourceEntity } from './entities/resource.entity';
import { LocationsRepository } from './locations.repository';

@Module({
  imports: [TypeOrmModule.forFeature([LocationEntity, ResourceEntity, BookingEntity, AvailabilityWindowEntity, LosRowEntity, LosDatasetEntity])],
  controllers: [],
  providers: [LocationsRepository],
  exports: [LocationsRepository],
})
export class InventoryModule {}
