import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory';
import { createRootLogger } from '../../src/common/logger';
import { AppConfig, validateEnvironment } from '../../src/config/app-config';
import { createTestDatabase } from './test-database';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const READ_TOKEN = 'test-read-token-0123456789';
export const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

export interface TestContext {
  app: INestApplication;
  config: AppConfig;
  /** Base URL of the listening server (127.0.0.1, random port). */
  baseUrl: string;
  db: DataSource;
  databaseUrl: string;
  http(): TestAgent;
  /** Request helpers carrying the admin / read bearer token. */
  admin: { get(p: string): request.Test; post(p: string): request.Test; patch(p: string): request.Test; put(p: string): request.Test; delete(p: string): request.Test };
  reader: { get(p: string): request.Test };
  newConnection(body?: Record<string, unknown>): Promise<Record<string, any>>;
  newLocation(connectionId: string, body?: Record<string, unknown>): Promise<Record<string, any>>;
  close(): Promise<void>;
}

let counter = 0;

/**
 * Boots the real application on a fresh database cloned from the migrated template.
 * `env` overrides configuration (provider URLs of fake servers, secrets, retry schedule...).
 */
export async function startTestApp(
  env: Record<string, string | undefined> = {},
  options: { shareDatabaseWith?: TestContext } = {},
): Promise<TestContext> {
  // A second app on the same database stands for a second process (multi-worker tests).
  const database = options.shareDatabaseWith
    ? { url: options.shareDatabaseWith.databaseUrl, drop: async () => undefined }
    : await createTestDatabase();
  const config = validateEnvironment({
    ADMIN_TOKEN,
    READ_TOKEN,
    ENCRYPTION_KEY,
    DATABASE_URL: database.url,
    PORT: '0',
    LOG_LEVEL: 'silent',
    RETRY_SCHEDULE: '0.05,0.1,0.2',
    ...env,
  });
  const app = await createApp(config, database.url, createRootLogger(config.env.LOG_LEVEL));
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  // PUBLIC_URL is what the server hands out; point it at the real port unless a test set one.
  if (!env.PUBLIC_URL) (config.env as { PUBLIC_URL?: string }).PUBLIC_URL = baseUrl;
  const server = app.getHttpServer();
  const withToken = (token: string) => ({
    get: (p: string) => request(server).get(p).set('Authorization', `Bearer ${token}`),
    post: (p: string) => request(server).post(p).set('Authorization', `Bearer ${token}`),
    patch: (p: string) => request(server).patch(p).set('Authorization', `Bearer ${token}`),
    put: (p: string) => request(server).put(p).set('Authorization', `Bearer ${token}`),
    delete: (p: string) => request(server).delete(p).set('Authorization', `Bearer ${token}`),
  });
  const admin = withToken(ADMIN_TOKEN);
  const ctx: TestContext = {
    app,
    config,
    baseUrl,
    db: app.get(DataSource),
    databaseUrl: database.url,
    http: () => request.agent(server),
    admin,
    reader: withToken(READ_TOKEN),
    async newConnection(body = {}) {
      counter += 1;
      const res = await admin.post('/admin/connections').send({ provider: 'syncaroo', externalId: String(1000 + counter), ...body });
      if (res.status !== 201) throw new Error(`newConnection: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async newLocation(connectionId, body = {}) {
      counter += 1;
      const res = await admin.post(`/admin/connections/${connectionId}/locations`).send({ locationId: `loc-${counter}`, ...body });
      if (res.status !== 201) throw new Error(`newLocation: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
  return ctx;
}
