import { Controller, Get, Header, HttpCode } from '@nestjs/common';
import { Public } from '../auth/access.decorator';
import { ApiOkResponse, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { serviceUnavailable } from '../common/domain.error';
import { MetricsService } from './metrics.service';
import { ReadinessService } from './readiness.service';

@ApiTags('ops')
@Public()
@Controller()
export class OpsController {
  constructor(private readonly dataSource: DataSource, private readonly metrics: MetricsService, private readonly readiness: ReadinessService) {}

  @Get('health/live')
  @ApiOkResponse({ description: 'the process is up (nothing else is checked)', schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get(['health', 'health/ready'])
  @ApiOkResponse({ description: 'ready: the database answers, migrations are applied, the worker loop runs (WORKER=on)', schema: { example: { status: 'ok' } } })
  @ApiServiceUnavailableResponse({ description: 'not ready; `detail` says which part' })
  async ready(): Promise<{ status: 'ok' }> {
    const problems = this.readiness.problems();
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      problems.unshift('database: not reachable');
    }
    if (problems.length > 0) throw serviceUnavailable(`not ready: ${problems.join('; ')}`);
    return { status: 'ok' };
  }

  @Get('metrics')
  @HttpCode(200)
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition' })
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
