export type UrlCheck = { ok: true; url: string } | { ok: false; reason: string };

const MAX_URL_LENGTH = 2048;
/** Encoded dots, slashes, backslashes, percent signs (double encoding) and NUL: only ever used to sneak past a prefix check. */
const ENCODED_TRICK = /%(?:2e|2f|5c|25|00)/i;
/** Anything outside printable ASCII: WHATWG URL parsing silently drops tabs/newlines, so `55\t5` would become `555`. */
const NOT_PRINTABLE_ASCII = /[^\x21-\x7e]/;
/** `.`/`..` segments, also the `..;` form some servers treat as `..`. */
const DOT_SEGMENT = /^\.{1,2}(?:;|$)/;

const fail = (reason: string): UrlCheck => ({ ok: false, reason });

/**
 * Webhook URLs are fetched with our Syncaroo token, so a forged or sloppy `apiUrl`/`actionCallback` must
 * not reach any other host, scheme, port or connection (SSRF, token leak, cross-tenant reads).
 * Accepts only URLs whose normalised form starts with `{apiBase}/{connectionId}/`, and rejects the raw
 * forms that normalisation would otherwise "repair" into a passing URL. Returns the normalised URL to use.
 */
export function checkSyncarooUrl(raw: unknown, apiBase: string, connectionId: number): UrlCheck {
  if (typeof raw !== 'string' || raw.length === 0) return fail('must be a non-empty string');
  if (raw.length > MAX_URL_LENGTH) return fail(`must be at most ${MAX_URL_LENGTH} characters`);
  if (NOT_PRINTABLE_ASCII.test(raw)) return fail('must not contain whitespace, control or non-ASCII characters');
  if (raw.includes('\\')) return fail('must not contain backslashes');
  if (ENCODED_TRICK.test(raw)) return fail('must not contain percent-encoded dots, slashes, backslashes or percent signs');
  if (raw.includes('#')) return fail('must not contain a fragment');
  const rawPath = raw.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/, '').split('?')[0];
  if (rawPath.split('/').some((segment) => DOT_SEGMENT.test(segment))) return fail('must not contain "." or ".." segments');

  let url: URL;
  let base: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('must be an absolute URL');
  }
  try {
    base = new URL(apiBase);
  } catch {
    return fail('cannot be checked: SYNCAROO_API_URL is not a URL');
  }
  if (url.username !== '' || url.password !== '') return fail('must not contain user information');
  if (url.protocol !== base.protocol || url.hostname !== base.hostname || url.port !== base.port) {
    return fail(`must be on ${base.origin} (same scheme, host and port as SYNCAROO_API_URL)`);
  }
  const prefix = `${base.pathname.replace(/\/+$/, '')}/${connectionId}/`;
  if (!url.pathname.startsWith(prefix)) return fail(`must start with ${base.origin}${prefix}`);
  return { ok: true, url: url.href };
}
