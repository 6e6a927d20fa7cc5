import { Module } from '@nestjs/common';

/** Syncaroo: webhook controller, API client, sync handler (registered with ingestion). */
@Module({})
export class SyncarooModule {}
