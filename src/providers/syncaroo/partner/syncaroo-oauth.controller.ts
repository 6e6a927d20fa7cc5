import { All, Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Access, Public } from '../../../auth/access.decorator';
import { serviceUnavailable } from '../../../common/domain.error';
import { AcceptsForm } from '../../../common/json-body.interceptor';
import { ConnectionsService } from '../../../connections/connections.service';
import { AppConfig } from '../../../config/app-config';
import { SyncarooOAuthService, OAuthAnswer } from './syncaroo-oauth.service';
import { SyncarooPartnerService } from './syncaroo-partner.service';
import { normaliseAuthorizeParams, readConnectionId, registrationValues } from './syncaroo-partner.contract';

function send(res: Response, answer: OAuthAnswer): void {
  if (answer.kind === 'redirect') {
    res.redirect(302, answer.location);
    return;
  }
  if (answer.kind === 'html') {
    res.status(answer.status).type('text/html; charset=utf-8').setHeader('cache-control', 'no-store');
    res.send(answer.html);
    return;
  }
  for (const [k, v] of Object.entries(answer.headers ?? {})) res.setHeader(k, v);
  res.status(answer.status).json(answer.body);
}

const tierOff = { error: 'temporarily_unavailable', error_description: 'Syncaroo tier 2 is not configured on this platform' };

/**
 * The authorization server Syncaroo is the client of (CONTRACT 9.1, 9.2, 9.6). Errors are RFC 6749's (JSON
 * `{error, error_description}` or a redirect), not problem+json. Hidden from the OpenAPI document: it is
 * Syncaroo's protocol, not the platform's API.
 */
@ApiExcludeController()
@Public()
@Controller('oauth/syncaroo')
export class SyncarooOAuthController {
  constructor(private readonly oauth: SyncarooOAuthService, private readonly connections: ConnectionsService) {}

  @Get('authorize')
  async authorize(@Query() query: Record<string, unknown>, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (!this.oauth.enabled) return void res.status(503).json(tierOff);
    send(res, await this.oauth.showConsent(req, res, normaliseAuthorizeParams(query)));
  }

  @Post('authorize')
  @AcceptsForm()
  async decide(@Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (!this.oauth.enabled) return void res.status(503).json(tierOff);
    const form = body && typeof body === 'object' ? body : {};
    send(res, await this.oauth.decide(req, res, normaliseAuthorizeParams(form), form));
  }

  @Post('token')
  @AcceptsForm()
  async token(@Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (!this.oauth.enabled) return void res.status(503).json(tierOff);
    send(res, await this.oauth.token(req, body && typeof body === 'object' ? body : {}));
  }

  @Post('revoke')
  @AcceptsForm()
  async revoke(@Body() body: Record<string, unknown>, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (!this.oauth.enabled) return void res.status(503).json(tierOff);
    const { answer, revokedConnection } = await this.oauth.revoke(req, body && typeof body === 'object' ? body : {});
    if (revokedConnection) await this.connections.revoke(revokedConnection);
    send(res, answer);
  }
}

/** What Syncaroo calls with the access token (CONTRACT 9.3, 9.4). */
@ApiExcludeController()
@Public()
@Controller('syncaroo')
export class SyncarooPartnerController {
  constructor(private readonly oauth: SyncarooOAuthService, private readonly partner: SyncarooPartnerService) {}

  @All('check_connection')
  @AcceptsForm()
  async checkConnection(@Query() query: Record<string, unknown>, @Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (!['GET', 'POST'].includes(req.method)) return void res.status(405).json({ connected: false });
    if (!this.oauth.enabled) return void res.status(503).json({ connected: false });
    const token = await this.oauth.bearer(req);
    if (!token) return void res.status(401).setHeader('www-authenticate', 'Bearer').json({ connected: false });
    const externalId = readConnectionId(query, body);
    if (externalId === null) return void res.status(400).json({ connected: false, error: 'connectionId must be an integer' });
    let connectionId: string | null = null;
    if (externalId !== undefined) {
      try {
        await this.partner.bind(token, externalId);
        connectionId = externalId;
      } catch (e) {
        if ((e as { status?: number }).status === 409) return void res.status(409).json({ connected: false, error: 'this connectionId belongs to another account' });
        throw e;
      }
    }
    res.status(200).json({
      connected: true, connectionId,
      account: await this.partner.accountSummary(token.accountId),
      locations: await this.partner.locations(token.accountId),
    });
  }

  @Get('locations')
  async locations(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (!this.oauth.enabled) return void res.status(503).json({ error: 'temporarily_unavailable' });
    const token = await this.oauth.bearer(req);
    if (!token) return void res.status(401).setHeader('www-authenticate', 'Bearer').json({ error: 'invalid_token' });
    res.json({ items: await this.partner.locations(token.accountId) });
  }
}

@Controller('admin/syncaroo')
export class SyncarooRegistrationController {
  constructor(private readonly config: AppConfig) {}

  /** The values to enter in Syncaroo's partner registration (CONTRACT 9). */
  @Get('registration')
  @Access('admin')
  registration() {
    if (!this.config.syncarooPartner) throw serviceUnavailable('Syncaroo tier 2 is not configured: set SYNCAROO_PARTNER_CLIENT_ID, SYNCAROO_PARTNER_CLIENT_SECRET and SYNCAROO_REDIRECT_URIS');
    return registrationValues(this.config);
  }
}
