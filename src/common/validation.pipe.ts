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

class InputValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // DTO-typed input only: webhook payloads (plain objects) keep their own rules (stored-values.ts).
    const dto = typeof metadata.metatype === 'function' && ![Object, String, Number, Boolean, Array].includes(metadata.metatype as never);
    if (dto && (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param')) {
      const field = findNul(value, '');
      if (field) throw new BadRequestException({ message: `${field}: must not contain NUL characters`, errors: [{ field, message: 'must not contain NUL characters' }] });
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
