import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { EventIntakeRepository } from './event-intake.repository';
import { EventQueueRepository } from './event-queue.repository';
import { EventRetentionRepository } from './event-retention.repository';
import { EventRetentionService } from './event-retention.service';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';
import { HandlerRegistry } from './handler.registry';
import { IntakeService } from './intake.service';
import { QueueGaugesService } from './queue-gauges.service';
import { WorkerService } from './worker.service';

@Module({
  controllers: [EventsController],
  providers: [EventIntakeRepository, EventQueueRepository, EventRetentionRepository, EventRetentionService, EventsRepository, EventsService, HandlerRegistry, IntakeService, QueueGaugesService, WorkerService],
  exports: [IntakeService, HandlerRegistry, EventsService, EventRetentionService],
})
export class IngestionModule {}
