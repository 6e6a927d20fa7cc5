import { Injectable } from '@nestjs/common';
import { describeUrl, httpRequest, HttpResponse, raiseForStatus } from '../../common/http-client';
import { AppConfig } from '../../config/app-config';
import { PermanentError } from '../../ingestion/provider-handler';

/**
 * Everything this server knows about Lockme's HTTP API lives in this file (CONTRACT.md section 7), so a
 * correction touches one place. Sources: Lockme's public PHP SDK (lustmored/lockme-sdk) and plugins.
 *
 * - OAuth2: authorize at LOCKME_AUTHORIZE_URL (scope `rooms_manage`), tokens at LOCKME_TOKEN_URL with form
 *   grants `authorization_code` and `refresh_token` (client_id/client_secret in the form, as the SDK's
 *   league/oauth2-client does). Response `{access_token, refresh_token, expires_in}`; refresh tokens may rotate.
 * - `GET /message/{id}` → `{action, roomid, reservationid, data: {...}}`; `POST /message/{id}` → `true` (mark read).
 * - `GET /rooms` → `[{roomid, room, department}]`.
 * - `GET /room/{roomid}/reservations/{Y-m-d}` → the room's reservations that day. ASSUMPTION: the SDK's
 *   `GetReservations` calls this path but documents no response; we assume an array of objects shaped like
 *   a message's `data` plus `reservationid` (or `id`). Only resync uses it.
 * - Errors are JSON `{message}`; we never copy them into our errors (they may echo customer data).
 *
 * Personal data (name, surname, email, phone, comment...) is dropped HERE, while parsing: nothing past this
 * class can store it by mistake.
 */

export interface LockmeTokenSet {
  accessToken: string;
  /** null when the response did not rotate it (keep the old one) */
  refreshToken: string | null;
  /** ISO 8601, null when Lockme did not say */
  expiresAt: string | null;
}

/** A reservation as far as inventory needs it; values are as Lockme sent them (the mapper interprets). */
export interface LockmeReservation {
  reservationId: string | null;
  roomId: string | null;
  /** `Y-m-d`, venue local */
  date: string | null;
  /** `H:i:s`, venue local */
  hour: string | null;
  people: unknown;
  price: unknown;
  /** truthy = confirmed/paid; `source=web` with a falsy status is an unpaid hold (≤ 20 min) */
  status: unknown;
  source: string | null;
  /** ISO 4217 when Lockme says; it usually does not (prices are in the account's currency) */
  currency: string | null;
  /** previous date/hour of a moved reservation (`edit`) */
  fromDate: string | null;
  fromHour: string | null;
}

export interface LockmeMessage {
  /** add | edit | delete | test (others are possible) */
  action: string;
  roomId: string | null;
  reservationId: string | null;
  data: LockmeReservation | null;
}

export interface LockmeRoom {
  roomId: string;
  name: string | null;
  department: string | null;
}

/** The access token was refused (401): refresh and try once more. */
export class LockmeUnauthorizedError extends Error {}

/** The token endpoint refused the grant (code or refresh token invalid/revoked): the connection must be re-connected. */
export class LockmeGrantRejectedError extends Error {}

const SCOPE = 'rooms_manage';

const idOf = (v: unknown): string | null =>
  (typeof v === 'number' && Number.isFinite(v)) ? String(v) : typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Picks the fields inventory uses; everything else (customer data included) is left behind. */
export function parseReservation(raw: unknown, reservationId: unknown = undefined, roomId: unknown = undefined): LockmeReservation | null {
  if (!isObject(raw)) return null;
  const currency = str(raw.currency);
  return {
    reservationId: idOf(reservationId ?? raw.reservationid ?? raw.id),
    roomId: idOf(raw.roomid ?? roomId),
    date: str(raw.date),
    hour: str(raw.hour),
    people: raw.people ?? null,
    price: raw.price ?? null,
    status: raw.status ?? null,
    source: str(raw.source),
    currency: currency && /^[A-Za-z]{3}$/.test(currency) ? currency.toUpperCase() : null,
    fromDate: str(raw.from_date),
    fromHour: str(raw.from_hour),
  };
}

export function parseMessage(raw: unknown): LockmeMessage {
  if (!isObject(raw) || typeof raw.action !== 'string') throw new PermanentError('Lockme message is not an object with an action');
  const roomId = idOf(raw.roomid);
  const reservationId = idOf(raw.reservationid);
  return {
    action: raw.action.toLowerCase(),
    roomId,
    reservationId,
    data: parseReservation(raw.data, reservationId, roomId),
  };
}

@Injectable()
export class LockmeApiClient {
  constructor(private readonly config: AppConfig) {}

  private get apiUrl(): string {
    return this.config.env.LOCKME_API_URL.replace(/\/+$/, '');
  }

  get redirectUri(): string {
    return `${this.config.publicUrl}/connect/lockme/callback`;
  }

  authorizeUrl(state: string): string {
    const url = new URL(this.config.env.LOCKME_AUTHORIZE_URL);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.config.env.LOCKME_CLIENT_ID ?? '');
    url.searchParams.set('redirect_uri', this.redirectUri);
    url.searchParams.set('scope', SCOPE);
    url.searchParams.set('state', state);
    return url.toString();
  }

  exchangeCode(code: string): Promise<LockmeTokenSet> {
    return this.token({ grant_type: 'authorization_code', code, redirect_uri: this.redirectUri });
  }

  refresh(refreshToken: string): Promise<LockmeTokenSet> {
    return this.token({ grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  /** null when Lockme no longer has the message (404). */
  async getMessage(accessToken: string, messageId: string): Promise<LockmeMessage | null> {
    const res = await this.call(accessToken, 'GET', `/message/${encodeURIComponent(messageId)}`);
    if (res.status === 404) return null;
    raiseForStatus(res, 'Lockme GET /message');
    return parseMessage(res.body);
  }

  /** Marks the message read, so Lockme stops re-sending it. */
  async ackMessage(accessToken: string, messageId: string): Promise<void> {
    const res = await this.call(accessToken, 'POST', `/message/${encodeURIComponent(messageId)}`);
    if (res.status === 404) return; // gone at Lockme: nothing left to mark
    raiseForStatus(res, 'Lockme POST /message (mark read)');
  }

  async listRooms(accessToken: string): Promise<LockmeRoom[]> {
    const res = await this.call(accessToken, 'GET', '/rooms');
    raiseForStatus(res, 'Lockme GET /rooms');
    const list = Array.isArray(res.body) ? res.body : isObject(res.body) ? Object.values(res.body) : null;
    if (!list) throw new PermanentError('Lockme GET /rooms did not answer a list');
    return list.flatMap((r) => {
      if (!isObject(r)) return [];
      const roomId = idOf(r.roomid ?? r.id);
      return roomId ? [{ roomId, name: str(r.room ?? r.name), department: idOf(r.department) }] : [];
    });
  }

  /**
   * The room's reservations on one local date (see the ASSUMPTION above); null when the endpoint does not
   * exist (404), so resync can fall back to rooms only.
   */
  async listReservations(accessToken: string, roomId: string, date: string): Promise<LockmeReservation[] | null> {
    const res = await this.call(accessToken, 'GET', `/room/${encodeURIComponent(roomId)}/reservations/${encodeURIComponent(date)}`);
    if (res.status === 404) return null;
    raiseForStatus(res, 'Lockme GET /room/{id}/reservations/{date}');
    const list = Array.isArray(res.body) ? res.body : isObject(res.body) ? Object.values(res.body) : null;
    const parsed = (list ?? []).map((r) => parseReservation(r, undefined, roomId));
    // Resync cancels what is not listed, so a listing we cannot read must stop it, not look empty.
    if (!list || parsed.some((r) => !r || !r.reservationId)) {
      throw new PermanentError('Lockme GET /room/{id}/reservations/{date} answered an unexpected shape (see LockmeApiClient)');
    }
    return parsed as LockmeReservation[];
  }

  private async call(accessToken: string, method: 'GET' | 'POST', path: string): Promise<HttpResponse> {
    const res = await httpRequest(`${this.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${accessToken}` }, provider: 'lockme' });
    if (res.status === 401) throw new LockmeUnauthorizedError(`Lockme ${method} ${describeUrl(`${this.apiUrl}${path}`)}: access token refused (401)`);
    return res;
  }

  private async token(grant: Record<string, string>): Promise<LockmeTokenSet> {
    const body = new URLSearchParams({
      ...grant,
      client_id: this.config.env.LOCKME_CLIENT_ID ?? '',
      client_secret: this.config.env.LOCKME_CLIENT_SECRET ?? '',
    });
    const res = await httpRequest<Record<string, unknown>>(this.config.env.LOCKME_TOKEN_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      provider: 'lockme',
    });
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      throw new LockmeGrantRejectedError(`Lockme token endpoint refused the ${grant.grant_type} grant (${res.status})`);
    }
    raiseForStatus(res, `Lockme token endpoint (${grant.grant_type})`);
    const b = isObject(res.body) ? res.body : {};
    if (typeof b.access_token !== 'string' || b.access_token === '') {
      throw new PermanentError(`Lockme token endpoint answered ${res.status} without an access_token`);
    }
    const expiresIn = typeof b.expires_in === 'number' ? b.expires_in : typeof b.expires_in === 'string' && /^\d+$/.test(b.expires_in) ? Number(b.expires_in) : null;
    const expiresAt = expiresIn !== null ? new Date(Date.now() + expiresIn * 1000) : null;
    return {
      accessToken: b.access_token,
      refreshToken: typeof b.refresh_token === 'string' && b.refresh_token !== '' ? b.refresh_token : null,
      expiresAt: expiresAt ? expiresAt.toISOString() : null,
    };
  }
}
