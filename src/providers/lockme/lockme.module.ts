import { Module } from '@nestjs/common';

/** Lockme: webhook controller, API client, sync handler (registered with ingestion). */
@Module({})
export class LockmeModule {}
