import { Module } from '@nestjs/common';

/** Stratech: webhook controller, API client, sync handler (registered with ingestion). */
@Module({})
export class StratechModule {}
