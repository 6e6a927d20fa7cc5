import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { LoginThrottleRepository } from './login-throttle.repository';

const EVERY_MS = 60 * 60 * 1000;

/** Hourly: expired sessions and ended login windows. Idempotent deletes on indexed columns, so no leader is needed. */
@Injectable()
export class AuthHousekeepingService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AuthHousekeeping');
  private timer?: NodeJS.Timeout;

  constructor(@InjectDataSource() private readonly dataSource: DataSource, private readonly throttle: LoginThrottleRepository, private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    if (this.config.env.WORKER !== 'on') return;
    this.timer = setInterval(() => void this.run(), EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async run(): Promise<{ sessions: number; loginWindows: number }> {
    try {
      const [, sessions] = (await this.dataSource.query(`DELETE FROM sessions WHERE expires_at < now()`)) as [unknown[], number];
      const loginWindows = await this.throttle.deleteEnded();
      return { sessions, loginWindows };
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'auth housekeeping failed');
      return { sessions: 0, loginWindows: 0 };
    }
  }
}
