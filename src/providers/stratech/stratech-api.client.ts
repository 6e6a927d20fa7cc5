import { Injectable } from '@nestjs/common';
import { CallSignal, describeUrl, httpRequest, openCallSignal, OutboundStatus, raiseForStatus, transportStatus } from '../../common/http-client';
import { AppConfig } from '../../config/app-config';
import { PermanentError, RetryableError } from '../../ingestion/provider-handler';

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

/**
 * A dataset answer being received: its bytes as they arrive, never held whole. At most
 * STRATECH_DATASET_MAX_BYTES of them: a larger Content-Length is refused before reading and a body that grows
 * past it is cut off there (PermanentError naming the setting). A connection that breaks or times out while
 * reading → RetryableError. `close()` (always, in `finally`) stops reading and releases the connection.
 */
export interface LosDatasetBody {
  /** The declared Content-Length, when there is one. */
  readonly declaredBytes: number | null;
  /** Bytes read so far. */
  readonly bytesRead: number;
  chunks(): AsyncGenerator<Uint8Array>;
  close(): Promise<void>;
}

export type LosFetch =
  | { status: 'ok'; body: LosDatasetBody }
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

function transportError(where: string, call: CallSignal): RetryableError {
  const why = call.cause === 'timeout' ? 'timed out' : call.cause === 'handler' ? 'aborted (handler timeout)' : 'network error';
  return new RetryableError(`${where} failed: ${why}`);
}

class StreamedBody implements LosDatasetBody {
  bytesRead = 0;
  private closed = false;
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;

  constructor(
    private readonly res: Response,
    private readonly call: CallSignal,
    private readonly where: string,
    private readonly cap: number,
    private readonly tooLarge: () => PermanentError,
    readonly declaredBytes: number | null,
  ) {}

  async *chunks(): AsyncGenerator<Uint8Array> {
    if (!this.res.body || this.closed) return;
    const reader = (this.reader = this.res.body.getReader());
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch {
        this.call.settle(transportStatus(this.call));
        throw transportError(this.where, this.call);
      }
      if (next.done) {
        // A body shorter than its Content-Length is a broken connection, not the end of the document.
        if (this.declaredBytes !== null && this.bytesRead < this.declaredBytes) {
          this.call.settle(transportStatus(this.call));
          throw transportError(this.where, this.call);
        }
        return;
      }
      this.bytesRead += next.value.byteLength;
      if (this.bytesRead > this.cap) {
        this.call.settle('too-large');
        await this.close();
        throw this.tooLarge();
      }
      yield next.value;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // The answer's status, unless the read ended otherwise (too large, broken connection: recorded there; the
    // handler's abort: aborted).
    this.call.settle(this.call.cause === null ? this.res.status : transportStatus(this.call));
    // Stops a body still arriving (the connection is closed, not drained); a finished one is left as it is.
    this.call.abort('refused');
    await (this.reader ? this.reader.cancel() : this.res.body?.cancel())?.catch(() => undefined);
    this.call.close();
  }
}

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

  /**
   * `GET /v1/channels/{channel}/los/{key}`, streamed: the answer's headers are checked here, its body is read
   * by the caller as it arrives (`LosDatasetBody`), under STRATECH_DATASET_MAX_BYTES and DATASET_TIMEOUT_MS
   * (headers and body together; the worker's abort of the handler stops it too).
   */
  async openLosDataset(accessToken: string, channelReference: string, key: string): Promise<LosFetch> {
    const url = `${this.apiUrl}/v1/channels/${encodeURIComponent(channelReference)}/los/${encodeURIComponent(key)}`;
    const where = `GET ${describeUrl(url)}`;
    const cap = this.config.env.STRATECH_DATASET_MAX_BYTES;
    const call = openCallSignal(DATASET_TIMEOUT_MS, 'stratech');
    let res: Response;
    try {
      res = await fetch(url, { headers: { accept: 'application/json', authorization: `Bearer ${accessToken}` }, signal: call.signal, redirect: 'manual' });
    } catch {
      call.close();
      throw transportError(where, call);
    }
    const refuse = async (status: OutboundStatus): Promise<void> => {
      call.settle(status);
      call.abort('refused');
      await res.body?.cancel().catch(() => undefined);
      call.close();
    };
    if (res.status < 200 || res.status >= 300) {
      await refuse(res.status >= 300 && res.status < 400 ? 'redirect' : res.status);
      if (res.status === 401) return { status: 'unauthorized' };
      if (res.status === 404) return { status: 'not-found' };
      if (res.status >= 300 && res.status < 400) {
        throw new PermanentError(`${where}: upstream redirected (${res.status}) to another location; redirects are not followed`);
      }
      raiseForStatus({ status: res.status, headers: res.headers, body: null }, 'Stratech LOS dataset');
    }
    const tooLarge = () => new PermanentError(`Stratech LOS dataset: answer larger than ${cap} bytes (STRATECH_DATASET_MAX_BYTES)`);
    const length = res.headers.get('content-length');
    const declaredBytes = length !== null && /^\s*\d+\s*$/.test(length) ? Number(length) : null;
    if (declaredBytes !== null && declaredBytes > cap) {
      await refuse('too-large');
      throw tooLarge();
    }
    return { status: 'ok', body: new StreamedBody(res, call, where, cap, tooLarge, declaredBytes) };
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
      provider: 'stratech',
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
