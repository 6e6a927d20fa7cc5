import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { badRequest } from './domain.error';
import { FAST_PARSE, fastDto, FastField, NO } from './validation.pipe';

const CURSOR_TEXT = /^[A-Za-z0-9_-]+$/;

/**
 * PageQuery's members for a DTO's fast path (validation.pipe.ts): only what its decorators certainly accept.
 * limit: plain decimal 1-500 (the decorators also take e.g. '1e2' or ' 7', through Number(): those take the full path).
 */
export const PAGE_FIELDS: Record<'limit' | 'cursor', FastField> = {
  limit: (v) => (v.length <= 3 && /^[1-9]\d*$/.test(v) && Number(v) <= 500 ? Number(v) : NO),
  cursor: (v) => (v.length <= 1000 && CURSOR_TEXT.test(v) ? v : NO),
};

export class PageQuery {
  static readonly [FAST_PARSE] = fastDto(PageQuery, PAGE_FIELDS);

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'opaque cursor from a previous page' })
  @IsOptional() @IsString() @MaxLength(1000) @Matches(CURSOR_TEXT, { message: 'cursor is not a cursor this API issued' })
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Keyset cursors: the sort key of the last row, base64url JSON. */
export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, shape: Array<'string' | 'number'>): unknown[] | null {
  if (cursor === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('cursor is not a cursor this API issued', [{ field: 'cursor', message: 'invalid cursor' }]);
  }
  if (!Array.isArray(parsed) || parsed.length !== shape.length || parsed.some((v, i) => typeof v !== shape[i])) {
    throw badRequest('cursor is not a cursor this API issued', [{ field: 'cursor', message: 'invalid cursor' }]);
  }
  return parsed;
}

/** Fetch limit+1 rows; the extra row only says whether there is a next page. */
export function toPage<R, T>(rows: R[], limit: number, map: (row: R) => T, key: (row: R) => unknown[]): Page<T> {
  const more = rows.length > limit;
  const slice = more ? rows.slice(0, limit) : rows;
  return { items: slice.map(map), nextCursor: more ? encodeCursor(key(slice[slice.length - 1])) : null };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A `(created_at, id)` keyset cursor of the admin lists; anything else is a forged cursor (400), never a SQL error. */
export function decodeTimeIdCursor(cursor: string | undefined): [string, string] | null {
  const after = decodeCursor(cursor, ['string', 'string']) as [string, string] | null;
  if (after && (Number.isNaN(Date.parse(after[0])) || !UUID.test(after[1]))) {
    throw badRequest('cursor is not a cursor this API issued', [{ field: 'cursor', message: 'invalid cursor' }]);
  }
  return after;
}
