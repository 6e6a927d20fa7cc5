import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import type { FieldError } from './domain.error';

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** The first member path holding a NUL character (PostgreSQL text cannot store one: it would be a 500). */
function findNul(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path || 'body' : null;
  if (value === null || typeof value !== 'object' || depth > 8) return null;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const found = findNul(v, path ? `${path}.${k}` : k, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * A query or path DTO may declare a fast path, `static [FAST_PARSE]` (on the class itself, not inherited): it answers
 * the instance class-transformer and class-validator would give for input it knows to pass every rule of the class,
 * and undefined for anything else, which then takes the full path (and gets its precise per-field errors). So it may
 * only ever accept less than the decorators do, never more: see `fastDto`.
 */
export const FAST_PARSE = Symbol('fastParse');
export type FastParse<T> = (value: Record<string, unknown>) => T | undefined;
/** A field check of `fastDto`: the value as the DTO would hold it, or NO when it might not pass. */
export const NO = Symbol('no');
export type FastField = (value: string) => unknown;

/**
 * A fast path from per-member checks: every member present must be one of `fields` and a string its check accepts,
 * and every member the class requires (no @IsOptional) must be present; anything else (an unknown or missing member,
 * a repeated parameter, a value the check cannot vouch for) is undefined.
 */
export function fastDto<T extends object>(cls: new () => T, fields: Record<string, FastField>, required: readonly string[] = []): FastParse<T> {
  const known = new Map(Object.entries(fields));
  return (value) => {
    const out = new cls() as Record<string, unknown>;
    const keys = Object.keys(value);
    for (const key of keys) {
      const check = known.get(key);
      const v = value[key];
      if (check === undefined || typeof v !== 'string') return undefined;
      const parsed = check(v);
      if (parsed === NO) return undefined;
      out[key] = parsed;
    }
    for (const key of required) if (!keys.includes(key)) return undefined;
    return out as T;
  };
}

class InputValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // DTO-typed input only: webhook payloads (plain objects) keep their own rules (stored-values.ts).
    const dto = typeof metadata.metatype === 'function' && ![Object, String, Number, Boolean, Array].includes(metadata.metatype as never);
    if (dto && (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param')) {
      const field = findNul(value, '');
      if (field) throw new BadRequestException({ message: `${field}: must not contain NUL characters`, errors: [{ field, message: 'must not contain NUL characters' }] });
      if (metadata.type !== 'body' && value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(metadata.metatype, FAST_PARSE)) {
        const fast = (metadata.metatype as unknown as { [FAST_PARSE]: FastParse<unknown> })[FAST_PARSE](value as Record<string, unknown>);
        if (fast !== undefined) return fast;
      }
    }
    return super.transform(value, metadata);
  }
}

/** Whitelisting validation: unknown members are rejected, every failure is listed per field; NUL characters never pass. */
export function createValidationPipe(): ValidationPipe {
  return new InputValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: (errors) => {
      const list = flatten(errors);
      return new BadRequestException({ message: list.map((e) => `${e.field}: ${e.message}`).join('; '), errors: list });
    },
  });
}
