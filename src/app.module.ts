import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from './auth/auth.module';
import { ChangesModule } from './changes/changes.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { ConnectionsModule } from './connections/connections.module';
import { ConsoleModule } from './console/console.module';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './database/data-source.options';
import { runMigrationsLocked } from './database/migrate';
import { IngestionModule } from './ingestion/ingestion.module';
import { InventoryModule } from './inventory/inventory.module';
import { OpsModule } from './ops/ops.module';
import { PROVIDER_MODULES } from './providers/provider-modules';
import { SubscriptionsModule } from './subscriptions/subscriptions.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRootAsync({
          useFactory: () => buildDataSourceOptions(databaseUrl, config.env.DB_POOL_SIZE),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            await runMigrationsLocked(dataSource);
            return dataSource;
          },
        }),
        AuthModule,
        OpsModule,
        ConnectionsModule,
        InventoryModule,
        ChangesModule,
        SubscriptionsModule,
        IngestionModule,
        ...PROVIDER_MODULES,
        ConsoleModule,
      ],
    };
  }
}
