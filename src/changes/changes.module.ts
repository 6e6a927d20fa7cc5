import { Module } from '@nestjs/common';
import { ChangeFeedRepository } from './change-feed.repository';
import { ChangeNotifier } from './change-notifier.service';
import { ChangeStreamService } from './change-stream.service';
import { ChangesRetentionService } from './changes-retention.service';
import { ChangesController } from './changes.controller';
import { ChangesService } from './changes.service';

@Module({
  controllers: [ChangesController],
  providers: [ChangeFeedRepository, ChangeNotifier, ChangesService, ChangeStreamService, ChangesRetentionService],
  exports: [ChangeFeedRepository, ChangeNotifier],
})
export class ChangesModule {}
