/**
 * The one redaction for log lines and error answers. Secrets reach text in three ways: in request paths
 * (the Stratech webhook secret, a Lockme webhook key), in query strings and headers (OAuth `code`, tokens),
 * and as the configured values themselves inside error messages (a client secret echoed by a library, a
 * database URL). Known values are registered once at start (`registerSecrets`) and replaced wherever they
 * appear; the patterns catch the rest.
 */
const known = new Set<string>();

/** Values that must never be written anywhere (tokens, client secrets, passwords from the configuration). */
export function registerSecrets(values: Array<string | undefined | null>): void {
  for (const v of values) if (v && v.length >= 6) known.add(v);
}

const PATTERNS: Array<[RegExp, string]> = [
  [/(\/webhooks\/(?:lockme|stratech)\/)[^/?#\s"']+/g, '$1[redacted]'],
  [/([?&](?:code|state|token|access_token|refresh_token|client_secret|password|key|api_key)=)[^&#\s"']+/gi, '$1[redacted]'],
  [/(\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+/g, '$1[redacted]'],
  [/\bisk_[A-Za-z0-9_-]{8,}/g, 'isk_[redacted]'],
  [/\$argon2(?:id|i|d)\$[^\s"']+/g, '$argon2[redacted]'],
  [/\bwhsec_[A-Za-z0-9+/=]{8,}/g, 'whsec_[redacted]'],
  [/(\bpostgres(?:ql)?:\/\/[^:/@\s]+:)[^@\s]+@/g, '$1[redacted]@'],
];

export function redactText(text: string): string {
  let out = text;
  for (const [re, to] of PATTERNS) out = out.replace(re, to);
  for (const v of known) if (out.includes(v)) out = out.split(v).join('[redacted]');
  return out;
}

/** Member names whose values are secret wherever they appear. */
const SECRET_KEYS = /^(authorization|cookie|set-cookie|password|secret|token|access_?token|refresh_?token|client_?secret|code|credentials|api_?key|hash|password_?hash|key_?hash|admin_?token|csrf_?token)$/i;

/** A copy of `value` with secret members replaced and every string redacted; bounded in depth. */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEYS.test(k) && v !== null && v !== undefined && typeof v !== 'object' ? '[redacted]' : redactDeep(v, depth + 1);
  }
  return out;
}
