import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, CONTRACT.md section 10), in the spec's few lines
 * on node:crypto (the `standardwebhooks` npm package is not a dependency of this project):
 * `webhook-signature` = `v1,` + base64(HMAC-SHA256(key, `${webhook-id}.${webhook-timestamp}.${body}`)), the key
 * being the base64-decoded part of the secret after `whsec_`; several signatures are space-separated.
 */
export const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

/** `whsec_` + base64 of 32 random bytes (the contract asks for at least 24). */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** The HMAC key of a secret: its base64 part decoded (the `whsec_` prefix is optional, as in the spec's libraries). */
export function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new Error('a webhook secret is base64 after whsec_');
  return Buffer.from(encoded, 'base64');
}

/** One `v1,<base64>` signature of `${id}.${timestamp}.${body}`. */
export function sign(secret: string, webhookId: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${webhookId}.${timestamp}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/** The `webhook-signature` header: one signature per secret still valid (current first), space-separated. */
export function signatureHeader(secrets: readonly string[], webhookId: string, timestamp: number, body: string): string {
  if (secrets.length === 0) throw new Error('no secret to sign with');
  return secrets.map((s) => sign(s, webhookId, timestamp, body)).join(' ');
}

/** The three Standard Webhooks headers of one attempt (a fresh timestamp, so a fresh signature, on each). */
export function webhookHeaders(secrets: readonly string[], webhookId: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(secrets, webhookId, timestamp, body),
  };
}
