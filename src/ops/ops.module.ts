import { Global, Module } from '@nestjs/common';
import { MetricsService } from './metrics.service';
import { OpsController } from './ops.controller';
import { ReadinessService } from './readiness.service';

@Global()
@Module({ controllers: [OpsController], providers: [MetricsService, ReadinessService], exports: [MetricsService, ReadinessService] })
export class OpsModule {}
