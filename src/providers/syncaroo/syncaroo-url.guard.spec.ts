import { checkSyncarooUrl } from './syncaroo-url.guard';

const BASE = 'https://app.syncaroo.com/api/v1';
const GOOD = 'https://app.syncaroo.com/api/v1/555/locations/61116b1ad9fa63170734b694/resources/61116c0bab789b6cc1feec23';

describe('checkSyncarooUrl', () => {
  it.each([
    ['the seed resource URL', GOOD],
    ['the seed callback URL', `${GOOD}/mapped`],
    ['a booking id with * characters', 'https://app.syncaroo.com/api/v1/555/locations/l/resources/r/bookings/61c18cf515e22a061cf589b1*1640124000000*1640125800000'],
    ['a query string', `${GOOD}?include=rates`],
    ['an explicit default port', 'https://app.syncaroo.com:443/api/v1/555/x'],
    ['an upper-case scheme and host', 'HTTPS://APP.SYNCAROO.COM/api/v1/555/x'],
    ['a harmless percent escape', 'https://app.syncaroo.com/api/v1/555/a%20b'],
  ])('accepts %s', (_label, url) => {
    expect(checkSyncarooUrl(url, BASE, 555)).toEqual({ ok: true, url: expect.stringMatching(/^https:\/\/app\.syncaroo\.com\/api\/v1\/555\//) });
  });

  it('returns the normalised URL', () => {
    expect(checkSyncarooUrl('HTTPS://App.Syncaroo.com:443/api/v1/555/x', BASE, 555)).toEqual({ ok: true, url: 'https://app.syncaroo.com/api/v1/555/x' });
  });

  it.each([
    ['another host', 'https://evil.example/api/v1/555/x'],
    ['a look-alike host', 'https://app.syncaroo.com.evil.example/api/v1/555/x'],
    ['a trailing-dot host', 'https://app.syncaroo.com./api/v1/555/x'],
    ['another port', 'https://app.syncaroo.com:8443/api/v1/555/x'],
    ['another scheme', 'http://app.syncaroo.com/api/v1/555/x'],
    ['a non-http scheme', 'file:///api/v1/555/x'],
    ['javascript:', 'javascript:alert(1)//app.syncaroo.com/api/v1/555/'],
    ['userinfo', 'https://user:pass@app.syncaroo.com/api/v1/555/x'],
    ['a user only', 'https://app.syncaroo.com@app.syncaroo.com/api/v1/555/x'],
    ['host hidden behind userinfo', 'https://app.syncaroo.com@evil.example/api/v1/555/x'],
    ['a .. segment', 'https://app.syncaroo.com/api/v1/555/../556/x'],
    ['a . segment', 'https://app.syncaroo.com/api/v1/555/./x'],
    ['..;', 'https://app.syncaroo.com/api/v1/555/..;/556/x'],
    ['a trailing ..', 'https://app.syncaroo.com/api/v1/555/x/..'],
    ['%2e%2e', 'https://app.syncaroo.com/api/v1/555/%2e%2e/556/x'],
    ['%2E%2E', 'https://app.syncaroo.com/api/v1/555/%2E%2E/556/x'],
    ['.%2e', 'https://app.syncaroo.com/api/v1/555/.%2e/556/x'],
    ['an encoded slash', 'https://app.syncaroo.com/api/v1/555%2f..%2f556/x'],
    ['an encoded backslash', 'https://app.syncaroo.com/api/v1/555/%5c..%5c556/x'],
    ['double encoding', 'https://app.syncaroo.com/api/v1/555/%252e%252e/556/x'],
    ['an encoded NUL', 'https://app.syncaroo.com/api/v1/555/x%00'],
    ['backslashes', 'https://app.syncaroo.com/api/v1/555\\..\\556/x'],
    ['a backslash authority', 'https:\\\\evil.example/api/v1/555/x'],
    ['a space', 'https://app.syncaroo.com/api/v1/55 5/x'],
    ['a tab (URL parsing would drop it)', 'https://app.syncaroo.com/api/v1/55\t5/x'],
    ['a newline', 'https://app.syncaroo.com/api/v1/555/x\n'],
    ['leading whitespace', ' https://app.syncaroo.com/api/v1/555/x'],
    ['non-ASCII', 'https://app.syncaroo.com/api/v1/555/ｘ'],
    ['another connection', 'https://app.syncaroo.com/api/v1/556/x'],
    ['a connection with 555 as prefix', 'https://app.syncaroo.com/api/v1/5555/x'],
    ['the connection without trailing slash', 'https://app.syncaroo.com/api/v1/555'],
    ['another API version', 'https://app.syncaroo.com/api/v10/555/x'],
    ['a doubled slash before the connection', 'https://app.syncaroo.com/api/v1//555/x'],
    ['the prefix only in the query', 'https://app.syncaroo.com/api/v1?/555/x'],
    ['the prefix only in the fragment', 'https://app.syncaroo.com/other#/api/v1/555/x'],
    ['a fragment on a good URL', `${GOOD}#frag`],
    ['a relative URL', '/api/v1/555/x'],
    ['a scheme-relative URL', '//app.syncaroo.com/api/v1/555/x'],
    ['an empty string', ''],
    ['a number', 555],
    ['null', null],
    ['an over-long URL', `${GOOD}/${'a'.repeat(2100)}`],
  ])('rejects %s', (_label, url) => {
    const check = checkSyncarooUrl(url, BASE, 555);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason.length).toBeGreaterThan(0);
  });

  it('uses the configured base (host, port and path) for the prefix', () => {
    const base = 'http://127.0.0.1:4010/sync/api/v1';
    expect(checkSyncarooUrl('http://127.0.0.1:4010/sync/api/v1/7/x', base, 7).ok).toBe(true);
    expect(checkSyncarooUrl('http://127.0.0.1:4011/sync/api/v1/7/x', base, 7).ok).toBe(false);
    expect(checkSyncarooUrl('http://localhost:4010/sync/api/v1/7/x', base, 7).ok).toBe(false);
    expect(checkSyncarooUrl('http://127.0.0.1:4010/api/v1/7/x', base, 7).ok).toBe(false);
  });
});
