import { Module } from '@nestjs/common';
import { ChangesModule } from '../changes/changes.module';
import { DeliveryQueueRepository } from './delivery-queue.repository';
import { DeliveryWorker } from './delivery.worker';
import { SubscriptionsController } from './subscriptions.controller';
import { SubscriptionsRepository } from './subscriptions.repository';
import { SubscriptionsService } from './subscriptions.service';

/** Outbound webhooks of the change feed (CONTRACT.md section 10): the admin API and the delivery worker. */
@Module({
  imports: [ChangesModule],
  controllers: [SubscriptionsController],
  providers: [SubscriptionsRepository, SubscriptionsService, DeliveryQueueRepository, DeliveryWorker],
  exports: [SubscriptionsService],
})
export class SubscriptionsModule {}
