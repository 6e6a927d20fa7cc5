import { Injectable } from '@nestjs/common';
import { describeUrl, httpRequest, HttpResponse, raiseForStatus } from '../../common/http-client';
import { AppConfig } from '../../config/app-config';
import { PermanentError, RetryableError } from '../../ingestion/provider-handler';
import { IssuedToken, TokenCache } from './syncaroo-token.cache';

/*
 * Every Syncaroo API shape this server relies on lives in this file (CONTRACT.md section 7). Syncaroo
 * publishes little, so these are assumptions: a correction should touch only this file. The client
 * decodes upstream JSON into the neutral `*Data` records below; syncaroo.mapper.ts turns those into rows.
 */

const TIMEOUT_MS = 10_000;
/** When the token response has no usable `expires_in`. */
const DEFAULT_TOKEN_TTL_MS = 5 * 60_000;

/** Resource JSON: `{id, name, type, description, capacity, units, size, bookable, availableFrom}`, rates when present. */
interface ResourceJson {
  id?: unknown;
  name?: unknown;
  type?: unknown;
  description?: unknown;
  capacity?: unknown;
  units?: unknown;
  size?: unknown;
  bookable?: unknown;
  availableFrom?: unknown;
  [other: string]: unknown;
}
/** Members carried into `attributes` besides the documented ones, when the resource JSON has them. */
const RATE_MEMBERS = ['rates', 'prices', 'pricing', 'currency'] as const;

/** Location JSON: `{id, Name, Description, TimeZone, address, hoursOfOperation}` (capitalised as Syncaroo sends them). */
interface LocationJson {
  id?: unknown;
  Name?: unknown;
  TimeZone?: unknown;
}

/** Booking JSON: `{id, start, end, status}` (people/price/currency only if Syncaroo adds them). */
interface BookingJson {
  id?: unknown;
  start?: unknown;
  end?: unknown;
  status?: unknown;
  people?: unknown;
  price?: unknown;
  currency?: unknown;
}

/** Token response: `{access_token, token_type, expires_in}` (seconds). */
interface TokenJson {
  access_token?: unknown;
  token_type?: unknown;
  expires_in?: unknown;
}

export interface SyncarooResourceData {
  id: string | null;
  name: unknown;
  type: unknown;
  capacity: unknown;
  /** Everything else worth keeping (description, units, size, bookable, availableFrom, rates...). */
  details: Record<string, unknown>;
}

export interface SyncarooLocationData {
  id: string | null;
  name: unknown;
  timeZone: unknown;
}

export interface SyncarooBookingData {
  id: string | null;
  start: unknown;
  end: unknown;
  status: unknown;
  people: unknown;
  price: unknown;
  currency: unknown;
}

export interface SyncarooWindowData {
  start: unknown;
  end: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const idOf = (v: unknown): string | null => (typeof v === 'string' && v !== '') || typeof v === 'number' ? String(v) : null;

function decodeResource(json: unknown, what: string): SyncarooResourceData {
  if (!isObject(json)) throw new PermanentError(`${what}: response is not a resource object`);
  const r = json as ResourceJson;
  const details: Record<string, unknown> = {
    description: r.description, units: r.units, size: r.size, bookable: r.bookable, availableFrom: r.availableFrom,
  };
  for (const member of RATE_MEMBERS) if (member in r) details[member] = r[member];
  return { id: idOf(r.id), name: r.name, type: r.type, capacity: r.capacity, details };
}

@Injectable()
export class SyncarooApiClient {
  private readonly tokens = new TokenCache(() => this.requestToken());

  constructor(private readonly config: AppConfig) {}

  /** GET `apiUrl` of a `resources` webhook; null when Syncaroo answers 404/410 (the resource is gone). */
  async getResource(url: string): Promise<SyncarooResourceData | null> {
    const res = await this.fetchOrGone(url, 'Syncaroo resource');
    return res && decodeResource(res.body, `Syncaroo resource ${describeUrl(url)}`);
  }

  /** GET `apiUrl` of a `rates` webhook: the rate JSON as sent (assumed shape: syncaroo-rate.mapper.ts); null when gone. */
  async getRate(url: string): Promise<unknown | null> {
    const res = await this.fetchOrGone(url, 'Syncaroo rate');
    if (!res) return null;
    if (!isObject(res.body)) throw new PermanentError(`Syncaroo rate ${describeUrl(url)}: response is not an object`);
    return res.body;
  }

  /** GET `apiUrl` of an `availability` webhook: `[{start, end}]`; null when gone. */
  async getAvailability(url: string): Promise<SyncarooWindowData[] | null> {
    const res = await this.fetchOrGone(url, 'Syncaroo availability');
    if (!res) return null;
    if (!Array.isArray(res.body)) throw new PermanentError(`Syncaroo availability ${describeUrl(url)}: response is not an array`);
    return res.body.filter(isObject).map((w) => ({ start: w.start, end: w.end }));
  }

  /** GET `apiUrl` of a `locations` webhook; null when gone. */
  async getLocation(url: string): Promise<SyncarooLocationData | null> {
    const res = await this.fetchOrGone(url, 'Syncaroo location');
    if (!res) return null;
    if (!isObject(res.body)) throw new PermanentError(`Syncaroo location ${describeUrl(url)}: response is not an object`);
    const l = res.body as LocationJson;
    return { id: idOf(l.id), name: l.Name, timeZone: l.TimeZone };
  }

  /** GET `apiUrl` of a `bookings` webhook; null when gone (the booking is cancelled). */
  async getBooking(url: string): Promise<SyncarooBookingData | null> {
    const res = await this.fetchOrGone(url, 'Syncaroo booking');
    if (!res) return null;
    if (!isObject(res.body)) throw new PermanentError(`Syncaroo booking ${describeUrl(url)}: response is not an object`);
    const b = res.body as BookingJson;
    return { id: idOf(b.id), start: b.start, end: b.end, status: b.status, people: b.people, price: b.price, currency: b.currency };
  }

  /** `action: "new"`: tells Syncaroo which id we gave the resource (POST `{"resourceId": id}` to `actionCallback`). */
  async confirmMapping(callbackUrl: string, resourceId: string): Promise<void> {
    const res = await this.call('POST', callbackUrl, { resourceId });
    raiseForStatus(res, `Syncaroo mapping callback ${describeUrl(callbackUrl)}`);
  }

  /**
   * Resync: the resources Syncaroo lists for one mapped location; null when the location is unknown upstream.
   * ASSUMPTION (no published endpoint): `GET {SYNCAROO_API_URL}/{connectionId}/locations/{location}/resources`
   * answers an array of resource JSON, where `{location}` is the mapping's externalId (Syncaroo's location
   * id, as seen in webhook apiUrls) or else our locationId.
   */
  async listLocationResources(connectionExternalId: string, location: string): Promise<SyncarooResourceData[] | null> {
    const url = `${this.config.syncarooApiUrl}/${encodeURIComponent(connectionExternalId)}/locations/${encodeURIComponent(location)}/resources`;
    const res = await this.fetchOrGone(url, 'Syncaroo resource list');
    if (!res) return null;
    if (!Array.isArray(res.body)) throw new PermanentError(`Syncaroo resource list ${describeUrl(url)}: response is not an array`);
    return res.body.map((r) => decodeResource(r, `Syncaroo resource list ${describeUrl(url)}`));
  }

  /**
   * The Syncaroo id of the resource an `apiUrl` points into (`.../resources/{id}/bookings/...`,
   * `.../resources/{id}/availability`): lets a booking find its resource when `resourceId` is empty.
   */
  resourceRefOf(url: string): string | null {
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      return null;
    }
    const m = /\/resources\/([^/]+)/.exec(path);
    if (!m) return null;
    try {
      return decodeURIComponent(m[1]);
    } catch {
      return null;
    }
  }

  // ---- transport ----

  private async fetchOrGone(url: string, what: string): Promise<HttpResponse | null> {
    const res = await this.call('GET', url);
    if (res.status === 404 || res.status === 410) return null;
    raiseForStatus(res, `${what} ${describeUrl(url)}`);
    return res;
  }

  /** Bearer call; on a 401 the token is renewed once and the call repeated once. */
  private async call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<HttpResponse> {
    const send = (token: string) =>
      httpRequest(url, { method, headers: { authorization: `Bearer ${token}` }, body, timeoutMs: TIMEOUT_MS, provider: 'syncaroo' });
    const token = await this.tokens.get();
    const res = await send(token);
    if (res.status !== 401) return res;
    this.tokens.invalidate(token);
    return send(await this.tokens.get());
  }

  private async requestToken(): Promise<IssuedToken> {
    const { SYNCAROO_CLIENT_ID: clientId, SYNCAROO_CLIENT_SECRET: clientSecret } = this.config.env;
    if (!clientId || !clientSecret) throw new RetryableError('Syncaroo is not configured (SYNCAROO_CLIENT_ID / SYNCAROO_CLIENT_SECRET)');
    const url = this.config.syncarooTokenUrl;
    const res = await httpRequest<TokenJson>(url, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
      timeoutMs: TIMEOUT_MS,
      provider: 'syncaroo',
    });
    // A refused client credential is an operator fix (env + restart), not a reason to kill events: retry.
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      throw new RetryableError(`Syncaroo token ${describeUrl(url)}: client credentials refused (${res.status})`);
    }
    raiseForStatus(res, `Syncaroo token ${describeUrl(url)}`);
    const token = isObject(res.body) ? res.body.access_token : undefined;
    if (typeof token !== 'string' || token.length === 0) throw new RetryableError(`Syncaroo token ${describeUrl(url)}: no access_token in the response`);
    const expiresIn = Number((res.body as TokenJson).expires_in);
    return { token, expiresInMs: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : DEFAULT_TOKEN_TTL_MS };
  }
}
