import { DynamicModule, Global, Module } from '@nestjs/common';
import { SecretBox } from '../common/secret-box';
import { AppConfig } from './app-config';

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: SecretBox, useFactory: () => new SecretBox(config.encryptionKey) },
      ],
      exports: [AppConfig, SecretBox],
    };
  }
}
