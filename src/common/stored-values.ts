/*
 * Bounds on what a provider can make us store. Provider JSON is untrusted in size and content: every free-text
 * value is cut to a length, and a jsonb `attributes` object to a total size, before it reaches a repository.
 * Pure and deterministic (the same input gives the same output), so a resource's source hash stays stable.
 */

/** A description and any other string kept inside `attributes`. */
export const MAX_ATTRIBUTE_TEXT = 2000;
/** The whole `attributes` object, as JSON in UTF-8. */
export const MAX_ATTRIBUTES_BYTES = 16 * 1024;
const MAX_DEPTH = 6;
const MAX_ITEMS = 100;
const MAX_KEYS = 100;
const MAX_KEY_LENGTH = 100;

const NUL = /\u0000/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** `String.prototype.toWellFormed` (ES2024, not in this project's lib). */
const wellFormed = (s: string): string => s.replace(LONE_SURROGATE, '\uFFFD');

/**
 * A string PostgreSQL accepts: no NUL characters (text and jsonb refuse them), no lone UTF-16 surrogates (jsonb
 * refuses their escapes; U+FFFD instead), at most `max` UTF-16 units without cutting a surrogate pair.
 */
export function storableString(raw: string, max: number): string {
  let s = raw.includes('\u0000') ? raw.replace(NUL, '') : raw;
  if (s.length > max) {
    const cut = s.charCodeAt(max - 1);
    s = s.slice(0, cut >= 0xd800 && cut <= 0xdbff ? max - 1 : max);
  }
  return wellFormed(s);
}

/** Free text as stored: a string, trimmed and bounded (see `storableString`); null when absent or blank. */
export function boundedText(raw: unknown, max: number): string | null {
  if (typeof raw !== 'string') return null;
  const text = storableString(raw.replace(NUL, '').trim(), max).trim();
  return text.length === 0 ? null : text;
}

/**
 * A JSON value with every string bounded, arrays cut to 100 items, objects to 100 members (members with
 * keys over 100 characters are dropped, keys are never cut), nesting to 6 levels (deeper values are
 * dropped). `undefined` when nothing of it can be kept.
 */
export function boundedJson(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') return storableString(value, MAX_ATTRIBUTE_TEXT);
  if (typeof value !== 'object' || depth >= MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const item of value.slice(0, MAX_ITEMS)) {
      const kept = boundedJson(item, depth + 1);
      if (kept !== undefined) items.push(kept);
    }
    return items;
  }
  const out: Record<string, unknown> = {};
  let members = 0;
  for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
    if (members >= MAX_KEYS) break;
    if (key.length > MAX_KEY_LENGTH || key === '__proto__' || key.includes('\u0000') || key !== wellFormed(key)) continue;
    const kept = boundedJson(member, depth + 1);
    if (kept === undefined) continue;
    out[key] = kept;
    members += 1;
  }
  return out;
}

const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));

/**
 * `attributes` as stored: each member bounded (`boundedJson`; `text` members as free text, trimmed), then, while
 * the whole is over 16 KB, the largest member not in `keep` is dropped (the first of equals). Members that
 * are `undefined` or `null` are left out (an absent member and a null one must hash alike).
 */
export function boundedAttributes(
  attributes: Record<string, unknown>,
  opts: { keep?: readonly string[]; text?: readonly string[]; maxBytes?: number } = {},
): Record<string, unknown> {
  const maxBytes = opts.maxBytes ?? MAX_ATTRIBUTES_BYTES;
  const out: Record<string, unknown> = {};
  // `"key":value` of each member; the object's JSON is `{` + members joined by `,` + `}`.
  const sizes = new Map<string, number>();
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || key === '__proto__') continue;
    const kept = opts.text?.includes(key) && typeof value === 'string' ? boundedText(value, MAX_ATTRIBUTE_TEXT) : boundedJson(value, 1);
    if (kept === undefined || kept === null) continue;
    out[key] = kept;
    sizes.set(key, jsonBytes(key) + 1 + jsonBytes(kept));
  }
  const total = () => 2 + Math.max(0, sizes.size - 1) + [...sizes.values()].reduce((a, b) => a + b, 0);
  const droppable = [...sizes.entries()]
    .filter(([key]) => !opts.keep?.includes(key))
    .sort((a, b) => b[1] - a[1]); // stable: the first of equals comes first
  for (const [key] of droppable) {
    if (total() <= maxBytes) break;
    delete out[key];
    sizes.delete(key);
  }
  return out;
}
