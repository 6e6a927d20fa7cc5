import { createHash, randomBytes } from 'node:crypto';

/**
 * Syncaroo playing the OAuth client of our authorization server (CONTRACT 9), over real HTTP: the browser's
 * steps (authorize page, consent form) and the server-to-server calls (token, check_connection, revoke).
 */
export class SyncarooPartnerClient {
  constructor(readonly baseUrl: string, readonly clientId: string, readonly clientSecret: string, readonly redirectUri: string) {}

  static pkce(): { verifier: string; challenge: string } {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  }

  authorizeUrl(extra: Record<string, string> = {}, camelCase = false): string {
    const p = camelCase
      ? { responseType: 'code', clientId: this.clientId, redirectUri: this.redirectUri, state: 'st-1', ...extra }
      : { response_type: 'code', client_id: this.clientId, redirect_uri: this.redirectUri, state: 'st-1', ...extra };
    return `${this.baseUrl}/oauth/syncaroo/authorize?${new URLSearchParams(p)}`;
  }

  /** GET the page: status, html, the consent CSRF cookie, and the form's hidden inputs. */
  async openConsent(url: string, cookie?: string) {
    const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    const html = await res.text();
    const setCookie = res.headers.getSetCookie().map((c) => c.split(';')[0]);
    const hidden: Record<string, string> = {};
    for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) hidden[m[1]] = m[2].replace(/&amp;/g, '&').replace(/&quot;/g, '"');
    return { res, html, hidden, cookie: [cookie, ...setCookie].filter(Boolean).join('; ') };
  }

  /** POST the consent form as a browser would (form-encoded), without following the redirect. */
  async submit(fields: Record<string, string>, cookie: string) {
    const res = await fetch(`${this.baseUrl}/oauth/syncaroo/authorize`, {
      method: 'POST', redirect: 'manual', body: new URLSearchParams(fields),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    });
    return { res, html: await res.text(), location: res.headers.get('location') };
  }

  /** The whole browser part: open, sign in, approve; answers the code from the redirect. */
  async approve(email: string, password: string, extra: Record<string, string> = {}): Promise<string> {
    const page = await this.openConsent(this.authorizeUrl(extra));
    const done = await this.submit({ ...page.hidden, email, password, decision: 'approve' }, page.cookie);
    if (done.res.status !== 302 || !done.location) throw new Error(`approve: ${done.res.status} ${done.html.slice(0, 200)}`);
    const code = new URL(done.location).searchParams.get('code');
    if (!code) throw new Error(`approve: no code in ${done.location}`);
    return code;
  }

  async token(body: Record<string, string>, opts: { basic?: boolean; json?: boolean; secret?: string } = {}) {
    const secret = opts.secret ?? this.clientSecret;
    const headers: Record<string, string> = {};
    const fields = { ...body };
    if (opts.basic !== false) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(this.clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
    else Object.assign(fields, { client_id: this.clientId, client_secret: secret });
    const init: RequestInit = opts.json
      ? { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(fields) }
      : { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) };
    const res = await fetch(`${this.baseUrl}/oauth/syncaroo/token`, init);
    return { status: res.status, body: await res.json() as Record<string, any> };
  }

  exchange(code: string, extra: Record<string, string> = {}) {
    return this.token({ grant_type: 'authorization_code', code, redirect_uri: this.redirectUri, ...extra });
  }

  async checkConnection(accessToken: string | null, connectionId?: number, method: 'GET' | 'POST' = 'GET') {
    const url = `${this.baseUrl}/syncaroo/check_connection/${method === 'GET' && connectionId !== undefined ? `?connectionId=${connectionId}` : ''}`;
    const res = await fetch(url, {
      method,
      headers: { ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}), ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      ...(method === 'POST' ? { body: JSON.stringify(connectionId !== undefined ? { connectionId } : {}) } : {}),
    });
    return { status: res.status, body: await res.json() as Record<string, any> };
  }

  async revoke(token: string, hint?: string) {
    const res = await fetch(`${this.baseUrl}/oauth/syncaroo/revoke`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, ...(hint ? { token_type_hint: hint } : {}) }),
    });
    return { status: res.status };
  }
}
