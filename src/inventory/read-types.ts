import { types } from 'pg';
import type { CustomTypesConfig } from 'pg';

const TIMESTAMPTZ_OID = 1184;
const defaultParse = types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => Date;

/**
 * A timestamptz as PostgreSQL writes it, straight into the API's ISO form (what `Date.toISOString()` gave before),
 * without a Date in between: `2026-03-01 08:00:00.123456+00` → `2026-03-01T08:00:00.123Z`. The milliseconds are the
 * first three fraction digits, as pg's parser truncates them. Anything else (an offset other than +00, a year outside
 * 0000-9999, BC, infinity) takes pg's own parser and toISOString, so every answer stays what it was.
 */
export function isoFromTimestamptz(text: string): string {
  const n = text.length;
  // 'YYYY-MM-DD HH:MM:SS' + optional '.f…' (1-6 digits) + '+00'
  if ((n === 22 || (n >= 24 && n <= 29 && text.charCodeAt(19) === 46 /* . */)) && text.charCodeAt(10) === 32 /* space */ &&
      text.charCodeAt(4) === 45 && text.charCodeAt(n - 3) === 43 /* + */ && text.charCodeAt(n - 2) === 48 && text.charCodeAt(n - 1) === 48) {
    const ms = n === 22 ? '000' : n >= 26 ? text.slice(20, 23) : n === 25 ? `${text.slice(20, 22)}0` : `${text[20]}00`;
    return `${text.slice(0, 10)}T${text.slice(11, 19)}.${ms}Z`;
  }
  return defaultParse(text).toISOString();
}

/**
 * pg types for the read API's queries: timestamptz columns arrive as ISO text (isoFromTimestamptz), everything else
 * as pg parses it by default (numeric and bigint text, jsonb parsed, integers numbers).
 */
export const READ_TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ_OID && format !== 'binary' ? isoFromTimestamptz : types.getTypeParser(oid, format as 'text')) as CustomTypesConfig['getTypeParser'],
};
