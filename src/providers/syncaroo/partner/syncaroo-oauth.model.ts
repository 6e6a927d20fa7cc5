import type { AuthorizationCode, AuthorizationCodeModel, Client, RefreshToken, RefreshTokenModel, Token, User } from '@node-oauth/oauth2-server';
import { safeEqual, sha256Hex } from '../../../common/crypto.util';
import type { AppConfig } from '../../../config/app-config';
import { ACCESS_TOKEN_LIFETIME_S, REFRESH_TOKEN_LIFETIME_S } from './syncaroo-partner.contract';
import type { SyncarooGrantsRepository } from './syncaroo-grants.repository';

/** Who a code or token speaks for: an account, through one grant (one approval on the consent page). */
export interface GrantUser extends User {
  accountId: string;
  userId: string | null;
  grantId?: string;
}

const toScope = (s: string[] | undefined) => (s && s.length > 0 ? s.join(' ') : null);
const fromScope = (s: string | null) => (s ? s.split(' ') : undefined);

/**
 * @node-oauth/oauth2-server's storage model: Syncaroo is the one client (from the environment); codes and tokens
 * live in PostgreSQL as SHA-256 only. The library generates the random values, checks expiry, redirect URI and
 * PKCE; this adds single use with replay detection (a code used twice revokes its grant) and grant revocation.
 */
export class SyncarooOAuthModel implements AuthorizationCodeModel, RefreshTokenModel {
  constructor(private readonly config: AppConfig, private readonly grants: SyncarooGrantsRepository) {}

  client(): Client | null {
    const partner = this.config.syncarooPartner;
    if (!partner) return null;
    return {
      id: partner.clientId, redirectUris: partner.redirectUris, grants: ['authorization_code', 'refresh_token'],
      accessTokenLifetime: ACCESS_TOKEN_LIFETIME_S, refreshTokenLifetime: REFRESH_TOKEN_LIFETIME_S,
    };
  }

  async getClient(clientId: string, clientSecret: string | null): Promise<Client | false> {
    const partner = this.config.syncarooPartner;
    if (!partner || !safeEqual(clientId ?? '', partner.clientId)) return false;
    // The authorize request carries no secret; the token and revoke requests must.
    if (clientSecret !== null && clientSecret !== undefined && !safeEqual(clientSecret, partner.clientSecret)) return false;
    return this.client()!;
  }

  async saveAuthorizationCode(code: Pick<AuthorizationCode, 'authorizationCode' | 'expiresAt' | 'redirectUri' | 'scope' | 'codeChallenge' | 'codeChallengeMethod'>, client: Client, user: User): Promise<AuthorizationCode> {
    const u = user as GrantUser;
    const grantId = await this.grants.createGrantWithCode(
      { accountId: u.accountId, userId: u.userId, scope: toScope(code.scope) },
      { hash: sha256Hex(code.authorizationCode), redirectUri: code.redirectUri, challenge: code.codeChallenge ?? null, method: code.codeChallengeMethod ?? null, expiresAt: code.expiresAt },
    );
    return { ...code, client, user: { ...u, grantId } };
  }

  async getAuthorizationCode(authorizationCode: string): Promise<AuthorizationCode | false> {
    const hash = sha256Hex(authorizationCode);
    const code = await this.grants.findCode(hash);
    if (!code) return false;
    if (code.usedAt) {
      // RFC 6749 10.5: a code presented twice is a stolen code; everything issued from it dies.
      await this.grants.revokeGrant(code.grantId);
      return false;
    }
    return {
      authorizationCode, expiresAt: code.expiresAt, redirectUri: code.redirectUri, scope: fromScope(code.scope),
      client: this.client()!, user: { accountId: code.accountId, userId: code.userId, grantId: code.grantId } satisfies GrantUser,
      ...(code.codeChallenge ? { codeChallenge: code.codeChallenge, codeChallengeMethod: code.codeChallengeMethod ?? 'S256' } : {}),
    };
  }

  async revokeAuthorizationCode(code: AuthorizationCode): Promise<boolean> {
    const hash = sha256Hex(code.authorizationCode);
    if (await this.grants.useCode(hash)) return true;
    // Two exchanges of one code at once: the loser revokes the grant, so the winner's tokens die too.
    const grantId = (code.user as GrantUser).grantId;
    if (grantId) await this.grants.revokeGrant(grantId);
    return false;
  }

  async saveToken(token: Token, client: Client, user: User): Promise<Token> {
    const u = user as GrantUser;
    await this.grants.saveToken({
      grantId: u.grantId!, accessHash: sha256Hex(token.accessToken), accessExpiresAt: token.accessTokenExpiresAt!,
      refreshHash: token.refreshToken ? sha256Hex(token.refreshToken) : null, refreshExpiresAt: token.refreshTokenExpiresAt ?? null,
    });
    return { ...token, client, user };
  }

  async getAccessToken(accessToken: string): Promise<Token | false> {
    const t = await this.grants.findToken('access', sha256Hex(accessToken));
    if (!t) return false;
    return { accessToken, accessTokenExpiresAt: t.accessExpiresAt, scope: fromScope(t.scope), client: this.client()!, user: { accountId: t.accountId, userId: t.userId, grantId: t.grantId } };
  }

  async getRefreshToken(refreshToken: string): Promise<RefreshToken | false> {
    const t = await this.grants.findToken('refresh', sha256Hex(refreshToken));
    if (!t) return false;
    return {
      refreshToken, refreshTokenExpiresAt: t.refreshExpiresAt ?? undefined, scope: fromScope(t.scope), client: this.client()!,
      user: { accountId: t.accountId, userId: t.userId, grantId: t.grantId } satisfies GrantUser, tokenId: t.tokenId,
    };
  }

  /** Refresh rotation: the library revokes the presented refresh token before it saves the new pair. */
  async revokeToken(token: RefreshToken | Token): Promise<boolean> {
    return typeof token.tokenId === 'string' ? this.grants.revokeTokenRow(token.tokenId) : false;
  }

  async validateScope(_user: User, _client: Client, scope?: string[]): Promise<string[] | false> {
    // Syncaroo names no scopes; whatever it asks for is recorded, and the grant always covers the account's listings.
    return scope ?? [];
  }

  async verifyScope(): Promise<boolean> {
    return true;
  }
}
