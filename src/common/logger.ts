import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { redactDeep, redactText } from './redact';

export function createRootLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'inventory-sync' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Every line, whoever writes it: secret members (authorization, cookie, tokens, passwords, credentials)
    // out, secrets inside strings (paths, error messages, configured values) out. The only redaction of logs.
    formatters: { log: (obj) => redactDeep(obj) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>);
      },
    },
  });
}

/** Routes Nest's own logging into the same pino JSON stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace', message: unknown, context?: string) {
    if (typeof message === 'object' && message !== null) this.logger[level]({ context, ...(message as object) });
    else this.logger[level]({ context }, String(message));
  }
  log(message: unknown, context?: string) { this.write('info', message, context); }
  error(message: unknown, _trace?: string, context?: string) { this.write('error', message, context); }
  warn(message: unknown, context?: string) { this.write('warn', message, context); }
  debug(message: unknown, context?: string) { this.write('debug', message, context); }
  verbose(message: unknown, context?: string) { this.write('trace', message, context); }
}
