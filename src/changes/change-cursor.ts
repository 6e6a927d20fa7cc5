import { badRequest } from '../common/domain.error';

/** A place in the feed: after the change (xid, seq). Both are bigints, kept as decimal text. */
export interface FeedPosition {
  xid: string;
  seq: string;
}

export const FEED_START: FeedPosition = Object.freeze({ xid: '0', seq: '0' });
const BIGINT_MAX = '9223372036854775807';
const DECIMAL = /^(0|[1-9][0-9]{0,18})$/;

/** Everything below transaction id `horizon` has been seen: the position after all of it. */
export function positionBelow(horizon: string): FeedPosition {
  return { xid: (BigInt(horizon) - 1n).toString(), seq: BIGINT_MAX };
}

export function comparePositions(a: FeedPosition, b: FeedPosition): number {
  const x = BigInt(a.xid) - BigInt(b.xid);
  if (x !== 0n) return x < 0n ? -1 : 1;
  const s = BigInt(a.seq) - BigInt(b.seq);
  return s === 0n ? 0 : s < 0n ? -1 : 1;
}

/** Opaque to clients: base64url of `f1.<xid>.<seq>`. */
export function encodeFeedCursor(p: FeedPosition): string {
  return Buffer.from(`f1.${p.xid}.${p.seq}`).toString('base64url');
}

/** A cursor this API issued, or a 400 naming `field` (`cursor` or `Last-Event-ID`). */
export function decodeFeedCursor(cursor: string, field = 'cursor'): FeedPosition {
  const invalid = () => badRequest(`${field} is not a cursor this API issued`, [{ field, message: 'invalid cursor' }]);
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(cursor)) throw invalid();
  const parts = Buffer.from(cursor, 'base64url').toString('latin1').split('.');
  if (parts.length !== 3 || parts[0] !== 'f1' || !DECIMAL.test(parts[1]) || !DECIMAL.test(parts[2])) throw invalid();
  if (BigInt(parts[1]) > BigInt(BIGINT_MAX) || BigInt(parts[2]) > BigInt(BIGINT_MAX)) throw invalid();
  return { xid: parts[1], seq: parts[2] };
}
