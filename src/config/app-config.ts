import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBase64,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MinLength,
  Min,
  validateSync,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : /^-?\d+$/.test(String(value)) ? Number(value) : value;
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);
const httpUrl = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/**
 * Every environment variable of CONTRACT.md section 2 (plus operational switches), validated once.
 * Secrets generated for embedded mode are merged in before validation, so the rules are the same.
 */
export class EnvironmentVariables {
  @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IsString() @MinLength(1)
  DATA_DIR = './.data';

  @IsString() @MinLength(16, { message: 'ADMIN_TOKEN is required (at least 16 characters) when DATABASE_URL is set' })
  ADMIN_TOKEN: string;

  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(16)
  READ_TOKEN?: string;

  @IsBase64(undefined, { message: 'ENCRYPTION_KEY must be base64 of 32 bytes (required when DATABASE_URL is set)' })
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'ENCRYPTION_KEY must be base64 of 32 bytes (required when DATABASE_URL is set)' })
  ENCRYPTION_KEY: string;

  @Transform(emptyToUndefined) @IsOptional() @IsUrl(httpUrl)
  PUBLIC_URL?: string;

  @Transform(toInt) @IsInt() @Min(1024) @Max(64 * 1024 * 1024)
  WEBHOOK_MAX_BYTES = 1048576;

  /** Size cap of every provider answer but Stratech datasets (read into memory, so at most 256 MiB). */
  @Transform(toInt) @IsInt() @Min(1024) @Max(256 * 1024 * 1024)
  PROVIDER_MAX_BYTES = 8388608;

  /** Size cap of a Stratech LOS dataset (parsed as a stream). */
  @Transform(toInt) @IsInt() @Min(1024) @Max(16 * 1024 * 1024 * 1024)
  STRATECH_DATASET_MAX_BYTES = 268435456;

  @IsUrl(httpUrl) SYNCAROO_API_URL = 'https://app.syncaroo.com/api/v1';
  @Transform(emptyToUndefined) @IsOptional() @IsUrl(httpUrl) SYNCAROO_TOKEN_URL?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() SYNCAROO_CLIENT_ID?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() SYNCAROO_CLIENT_SECRET?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() SYNCAROO_WEBHOOK_SECRET?: string;
  /** Tier 2 (CONTRACT 9): Syncaroo as the one OAuth client of our authorization server. */
  @Transform(emptyToUndefined) @IsOptional() @IsString() SYNCAROO_PARTNER_CLIENT_ID?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(16, { message: 'SYNCAROO_PARTNER_CLIENT_SECRET must be at least 16 characters' }) SYNCAROO_PARTNER_CLIENT_SECRET?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() SYNCAROO_REDIRECT_URIS?: string;

  @IsUrl(httpUrl) LOCKME_API_URL = 'https://api.lock.me/v2.3';
  @IsUrl(httpUrl) LOCKME_AUTHORIZE_URL = 'https://api.lock.me/authorize';
  @IsUrl(httpUrl) LOCKME_TOKEN_URL = 'https://api.lock.me/access_token';
  @Transform(emptyToUndefined) @IsOptional() @IsString() LOCKME_CLIENT_ID?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() LOCKME_CLIENT_SECRET?: string;

  @IsUrl(httpUrl) STRATECH_API_URL = 'https://api.stratechbooking.nl';
  @IsString() STRATECH_TOKEN_URL = 'https://identity.stratechbooking.nl/{organizationReference}/connect/token';
  @Transform(emptyToUndefined) @IsOptional() @IsString() STRATECH_CLIENT_ID?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() STRATECH_CLIENT_SECRET?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() STRATECH_WEBHOOK_SECRET?: string;

  /** `off` runs this process as intake/API only (another process works the queue). */
  @IsIn(['on', 'off']) WORKER = 'on';
  /** `off` runs this process as a worker only: webhooks answer 503. */
  @IsIn(['on', 'off']) INTAKE = 'on';
  /**
   * Webhooks waiting to be written while both intake INSERTs are running (the database is slow); past this
   * many they answer 503 + Retry-After at once instead of piling up in memory.
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000) INTAKE_MAX_QUEUED = 2000;
  @Transform(toInt) @IsInt() @Min(1) @Max(64) WORKER_CONCURRENCY = 8;
  /** Connections per process (the worker uses up to 2 × WORKER_CONCURRENCY at peak, plus one for LISTEN). */
  @Transform(toInt) @IsInt() @Min(2) @Max(500) DB_POOL_SIZE = 20;
  @Transform(toInt) @IsInt() @Min(100) HANDLER_TIMEOUT_MS = 30000;
  /** Comma-separated retry delays in seconds; the contract's schedule by default. */
  @Matches(/^\d+(\.\d+)?(,\d+(\.\d+)?)*$/, { message: 'RETRY_SCHEDULE must be comma-separated seconds' })
  RETRY_SCHEDULE = '5,30,120,600,1800,3600,10800,21600,43200,43200';
  @Transform(toInt) @IsInt() @Min(1) EVENT_RETENTION_DAYS = 30;
  /** Finished events received longer ago than this move from the queue to its archive (kept EVENT_RETENTION_DAYS). */
  @Transform(toInt) @IsInt() @Min(1) @Max(10080) EVENT_ARCHIVE_AFTER_MINUTES = 60;
  /** Change feed retention (CONTRACT.md section 10): older cursors get 410. */
  @Transform(toInt) @IsInt() @Min(1) @Max(3650) CHANGES_RETENTION_DAYS = 7;
  /** Subscription targets may be http:// (tests, a receiver on the same host). */
  @IsIn(['true', 'false']) SUBSCRIPTIONS_ALLOW_HTTP = 'false';
  /** Subscription targets may be (or resolve to) loopback, private or link-local addresses. */
  @IsIn(['true', 'false']) SUBSCRIPTIONS_ALLOW_PRIVATE = 'false';
  @Transform(toInt) @IsInt() @Min(1) @Max(366) RESYNC_DAYS = 30;
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';
}

export class ConfigError extends Error {}

export interface ProviderSwitches {
  syncaroo: boolean;
  lockme: boolean;
  stratech: boolean;
}

export class AppConfig {
  constructor(readonly env: EnvironmentVariables) {}

  get port() { return this.env.PORT; }
  get publicUrl() { return (this.env.PUBLIC_URL ?? `http://localhost:${this.env.PORT}`).replace(/\/+$/, ''); }
  get encryptionKey() { return Buffer.from(this.env.ENCRYPTION_KEY, 'base64'); }
  get retrySchedule(): number[] { return this.env.RETRY_SCHEDULE.split(',').map((s) => Number(s) * 1000); }
  get syncarooApiUrl() { return this.env.SYNCAROO_API_URL.replace(/\/+$/, ''); }
  get syncarooTokenUrl() { return this.env.SYNCAROO_TOKEN_URL ?? `${this.syncarooApiUrl}/oauth/token`; }
  /** Tier 2 on when both partner credentials are set; redirect URIs are matched exactly. */
  get syncarooPartner(): { clientId: string; clientSecret: string; redirectUris: string[] } | null {
    const e = this.env;
    if (!e.SYNCAROO_PARTNER_CLIENT_ID || !e.SYNCAROO_PARTNER_CLIENT_SECRET) return null;
    return { clientId: e.SYNCAROO_PARTNER_CLIENT_ID, clientSecret: e.SYNCAROO_PARTNER_CLIENT_SECRET, redirectUris: splitRedirectUris(e.SYNCAROO_REDIRECT_URIS) };
  }

  get enabled(): ProviderSwitches {
    const e = this.env;
    return {
      syncaroo: !!(e.SYNCAROO_CLIENT_ID && e.SYNCAROO_CLIENT_SECRET && e.SYNCAROO_WEBHOOK_SECRET),
      lockme: !!(e.LOCKME_CLIENT_ID && e.LOCKME_CLIENT_SECRET),
      stratech: !!(e.STRATECH_CLIENT_ID && e.STRATECH_CLIENT_SECRET && e.STRATECH_WEBHOOK_SECRET),
    };
  }
}

/** Validates the environment; throws one ConfigError naming every bad variable. */
export function validateEnvironment(raw: Record<string, string | undefined>): AppConfig {
  const known = Object.keys(new EnvironmentVariables());
  const picked: Record<string, string> = {};
  for (const key of [...known, 'DATABASE_URL', 'READ_TOKEN', 'PUBLIC_URL', 'ADMIN_TOKEN', 'ENCRYPTION_KEY',
    'SYNCAROO_TOKEN_URL', 'SYNCAROO_CLIENT_ID', 'SYNCAROO_CLIENT_SECRET', 'SYNCAROO_WEBHOOK_SECRET',
    'LOCKME_CLIENT_ID', 'LOCKME_CLIENT_SECRET', 'STRATECH_CLIENT_ID', 'STRATECH_CLIENT_SECRET', 'STRATECH_WEBHOOK_SECRET',
    'SYNCAROO_PARTNER_CLIENT_ID', 'SYNCAROO_PARTNER_CLIENT_SECRET', 'SYNCAROO_REDIRECT_URIS']) {
    if (raw[key] !== undefined) picked[key] = raw[key] as string;
  }
  const env = plainToInstance(EnvironmentVariables, picked, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  const lines = errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {})[0] ?? 'invalid'}`);
  if (!!env.SYNCAROO_PARTNER_CLIENT_ID !== !!env.SYNCAROO_PARTNER_CLIENT_SECRET) {
    lines.push('SYNCAROO_PARTNER_CLIENT_ID and SYNCAROO_PARTNER_CLIENT_SECRET: set both (Syncaroo tier 2) or neither');
  }
  if (env.SYNCAROO_PARTNER_CLIENT_ID && env.SYNCAROO_PARTNER_CLIENT_SECRET) {
    const uris = splitRedirectUris(env.SYNCAROO_REDIRECT_URIS);
    if (uris.length === 0) lines.push('SYNCAROO_REDIRECT_URIS: required when Syncaroo tier 2 is on (comma-separated redirect URIs)');
    for (const uri of uris) if (!isAbsoluteHttpUrl(uri)) lines.push(`SYNCAROO_REDIRECT_URIS: ${JSON.stringify(uri)} is not an absolute http(s) URL without a fragment`);
  }
  if (lines.length > 0) {
    throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
  }
  return new AppConfig(env);
}

function splitRedirectUris(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function isAbsoluteHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.hash && !value.includes('#');
  } catch {
    return false;
  }
}
