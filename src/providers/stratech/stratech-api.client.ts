import { Injectable } from '@nestjs/common';
import { httpRequest, raiseForStatus } from '../../common/http-client';
import { AppConfig } from '../../config/app-config';
import { PermanentError } from '../../ingestion/provider-handler';

// ---- Stratech shapes (CONTRACT.md section 7). Every assumption about Stratech's API lives in this file. ----

/** Identity server token response (authorization_code and refresh_token grants). */
export interface StratechTokenResponse {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  token_type?: string;
}

/** One length-of-stay cell of a full dataset. `arrivalDate` is ISO 8601 with the resort's offset. */
export interface StratechLosCell {
  arrivalDate: string;
  lengthOfStay: number;
  unitsAvailable: number;
  price?: number | null;
}

export interface StratechLosProduct {
  productId: string;
  name?: string | null;
  losPriceAvailability: StratechLosCell[];
}

/** `GET {STRATECH_API_URL}/v1/channels/{channelReference}/los/{key}` (assumed path and shape). */
export interface StratechLosDataset {
  key: string;
  organizationReference?: string;
  resortReference?: string;
  channelReference?: string;
  currency?: string | null;
  products: StratechLosProduct[];
}

/** What we keep of a token response. */
export interface StratechTokens {
  accessToken: string;
  /** Absent when the identity server does not rotate it: keep the old one. */
  refreshToken?: string;
  expiresAt: string;
}

export type LosFetch =
  | { status: 'ok'; dataset: StratechLosDataset }
  | { status: 'not-found' }
  /** The organization token was refused: refresh it once and ask again. */
  | { status: 'unauthorized' };

/**
 * The identity server refused the grant (a used or expired code, a revoked refresh token): only a new
 * authorization by the organization helps, so retrying is pointless.
 */
export class StratechGrantRejectedError extends PermanentError {}

const TOKEN_TIMEOUT_MS = 15_000;
/** A full dataset can be tens of megabytes. */
const DATASET_TIMEOUT_MS = 120_000;

/** Stratech identity server and API over HTTP. Never puts codes or tokens into errors. */
@Injectable()
export class StratechApiClient {
  constructor(private readonly config: AppConfig) {}

  private get apiUrl(): string {
    return this.config.env.STRATECH_API_URL.replace(/\/+$/, '');
  }

  /** Per-organization identity URL: `{organizationReference}` in STRATECH_TOKEN_URL is substituted. */
  tokenUrl(organizationReference: string): string {
    return this.config.env.STRATECH_TOKEN_URL.split('{organizationReference}').join(encodeURIComponent(organizationReference));
  }

  /** `authorization_code` grant: the code from `Authorization.code.created` becomes a refresh token. */
  exchangeCode(organizationReference: string, code: string, redirectUri: string | undefined): Promise<StratechTokens> {
    const form = new URLSearchParams({ grant_type: 'authorization_code', ...this.clientCredentials(), code });
    if (redirectUri !== undefined) form.set('redirect_uri', redirectUri);
    return this.token(organizationReference, form, 'Stratech authorization code exchange');
  }

  /** `refresh_token` grant: an organization access token (Stratech: expires_in 3600). */
  refresh(organizationReference: string, refreshToken: string): Promise<StratechTokens> {
    const form = new URLSearchParams({ grant_type: 'refresh_token', ...this.clientCredentials(), refresh_token: refreshToken });
    return this.token(organizationReference, form, 'Stratech token refresh');
  }

  async getLosDataset(accessToken: string, channelReference: string, key: string): Promise<LosFetch> {
    const url = `${this.apiUrl}/v1/channels/${encodeURIComponent(channelReference)}/los/${encodeURIComponent(key)}`;
    const res = await httpRequest<StratechLosDataset>(url, { headers: { authorization: `Bearer ${accessToken}` }, timeoutMs: DATASET_TIMEOUT_MS });
    if (res.status === 401) return { status: 'unauthorized' };
    if (res.status === 404) return { status: 'not-found' };
    raiseForStatus(res, 'Stratech LOS dataset');
    const body = res.body;
    if (!body || typeof body !== 'object' || !Array.isArray((body as StratechLosDataset).products)) {
      throw new PermanentError('Stratech LOS dataset: the answer has no products array');
    }
    const currency = (body as StratechLosDataset).currency;
    if (currency !== undefined && currency !== null && (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency))) {
      throw new PermanentError('Stratech LOS dataset: currency is not a 3-letter code');
    }
    return { status: 'ok', dataset: body };
  }

  private clientCredentials(): { client_id: string; client_secret: string } {
    return { client_id: this.config.env.STRATECH_CLIENT_ID ?? '', client_secret: this.config.env.STRATECH_CLIENT_SECRET ?? '' };
  }

  private async token(organizationReference: string, form: URLSearchParams, what: string): Promise<StratechTokens> {
    const res = await httpRequest<StratechTokenResponse>(this.tokenUrl(organizationReference), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
      timeoutMs: TOKEN_TIMEOUT_MS,
    });
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      throw new StratechGrantRejectedError(`${what}: the identity server refused the grant (${res.status})`);
    }
    raiseForStatus(res, what);
    const body = res.body;
    if (!body || typeof body.access_token !== 'string' || body.access_token === '') {
      throw new PermanentError(`${what}: the answer has no access_token`);
    }
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600;
    return {
      accessToken: body.access_token,
      ...(typeof body.refresh_token === 'string' && body.refresh_token !== '' ? { refreshToken: body.refresh_token } : {}),
      expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString(),
    };
  }
}
