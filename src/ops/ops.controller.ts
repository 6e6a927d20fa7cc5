import { Controller, Get, Header, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { MetricsService } from './metrics.service';

@ApiTags('ops')
@Controller()
export class OpsController {
  constructor(private readonly dataSource: DataSource, private readonly metrics: MetricsService) {}

  @Get('health')
  @ApiOkResponse({ description: 'the database answers', schema: { example: { status: 'ok' } } })
  @ApiServiceUnavailableResponse({ description: 'the database does not answer' })
  async health(): Promise<{ status: 'ok' }> {
    try {
      await this.dataSource.query('SELECT 1');
      return { status: 'ok' };
    } catch {
      throw new ServiceUnavailableException('database unavailable');
    }
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
