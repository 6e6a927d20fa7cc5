import { INestApplication } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { PrototypedExpressAdapter } from './common/express-server.adapter';
import { setOutboundRequestHook, setProviderMaxBytes } from './common/http-client';
import { JsonBodyInterceptor } from './common/json-body.interceptor';
import { PinoNestLogger } from './common/logger';
import { ProblemFilter } from './common/problem.filter';
import { registerSecrets } from './common/redact';
import { requestLogMiddleware } from './common/request-log.middleware';
import { createValidationPipe } from './common/validation.pipe';
import { AppConfig } from './config/app-config';
import { MetricsService } from './ops/metrics.service';

/** Builds the HTTP application (not listening yet); shared by main.ts, the e2e tests and the bench. */
export async function createApp(config: AppConfig, databaseUrl: string, logger: Logger): Promise<INestApplication> {
  // Every outbound provider call reads its answer up to this cap (http-client.ts); set before any worker runs.
  setProviderMaxBytes(config.env.PROVIDER_MAX_BYTES);
  const e = config.env;
  registerSecrets([e.ADMIN_TOKEN, e.READ_TOKEN, e.ENCRYPTION_KEY, e.SYNCAROO_CLIENT_SECRET, e.SYNCAROO_WEBHOOK_SECRET,
    e.LOCKME_CLIENT_SECRET, e.STRATECH_CLIENT_SECRET, e.STRATECH_WEBHOOK_SECRET, e.SYNCAROO_PARTNER_CLIENT_SECRET, safePassword(databaseUrl)]);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, databaseUrl), new PrototypedExpressAdapter(), {
    // No global body parser: JsonBodyInterceptor reads the body after the route's guards (it keeps the raw bytes).
    bodyParser: false,
    logger: new PinoNestLogger(logger.child({ component: 'nest' })),
  });
  // Every outbound provider call (http-client.ts) counts itself once, by provider and how it ended.
  const outbound = app.get(MetricsService).outboundRequests;
  setOutboundRequestHook((provider, status) => outbound.inc({ provider, status: String(status) }));
  app.set('trust proxy', false);
  app.disable('x-powered-by');

  app.use(requestLogMiddleware(logger, app.get(MetricsService).httpDuration));
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(createValidationPipe());
  // Bodies are read only after authentication (Bearer token, webhook path secret or key): an unauthenticated
  // request never makes the server read or parse one. Every JSON body is capped at WEBHOOK_MAX_BYTES (413);
  // webhooks keep their raw bytes (Syncaroo's HMAC, the coalescing hash).
  app.useGlobalInterceptors(new JsonBodyInterceptor(config.env.WEBHOOK_MAX_BYTES, app.get(Reflector)));

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('inventory-sync')
      .setDescription('Provider webhooks in, one inventory model out. Errors are application/problem+json. Lists are keyset-paginated: {items, nextCursor}.')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN (scope admin), READ_TOKEN (inventory:read, changes:read) or an API key `isk_…` (its scopes, its account)' })
      .addCookieAuth('isid', { type: 'apiKey', in: 'cookie', name: 'isid', description: 'console session from POST /auth/login; unsafe methods also need header x-csrf-token (GET /auth/session)' }, 'session')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}

function safePassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
