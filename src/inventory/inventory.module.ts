import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AvailabilityWindowEntity } from './entities/availability-window.entity';
import { BookingEntity } from './entities/booking.entity';
import { LocationEntity } from './entities/location.entity';
import { LosDatasetEntity } from './entities/los-dataset.entity';
import { LosDayEntity } from './entities/los-day.entity';
import { ResourceEntity } from './entities/resource.entity';
import { AvailabilityRepository } from './availability.repository';
import { BookingsRepository } from './bookings.repository';
import { LocationsRepository } from './locations.repository';
import { LosRepository } from './los.repository';
import { RatesRepository } from './rates.repository';
import { ResourcesRepository } from './resources.repository';
import { InventoryQueryRepository } from './inventory-query.repository';
import { LocationsReadController, LosReadController, ResourcesReadController } from './inventory-read.controller';

@Module({
  imports: [TypeOrmModule.forFeature([LocationEntity, ResourceEntity, BookingEntity, AvailabilityWindowEntity, LosDayEntity, LosDatasetEntity])],
  controllers: [LocationsReadController, ResourcesReadController, LosReadController],
  providers: [LocationsRepository, ResourcesRepository, BookingsRepository, AvailabilityRepository, LosRepository, RatesRepository, InventoryQueryRepository],
  exports: [LocationsRepository, ResourcesRepository, BookingsRepository, AvailabilityRepository, LosRepository, RatesRepository, InventoryQueryRepository],
})
export class InventoryModule {}
