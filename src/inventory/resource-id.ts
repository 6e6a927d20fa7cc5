import { randomBytes } from 'node:crypto';

/** Ids the server creates (Syncaroo `new` resources, Lockme rooms, Stratech products): short, URL-safe, opaque. */
export function generateResourceId(): string {
  return `r_${randomBytes(10).toString('base64url')}`;
}
