import type { LookupAddress } from 'node:dns';
import { checkTargetUrl, guardedLookup, nonPublicReason, parseTargetUrl, TargetRefused } from './target-url.guard';

const strict = { allowHttp: false, allowPrivate: false };
const resolver = (table: Record<string, string[]>) => async (host: string): Promise<LookupAddress[]> => {
  const list = table[host];
  if (!list) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

describe('nonPublicReason', () => {
  it.each([
    ['127.0.0.1', /loopback/], ['127.255.0.9', /loopback/], ['10.1.2.3', /private/], ['172.16.0.1', /private/], ['172.31.255.255', /private/],
    ['192.168.1.1', /private/], ['100.64.0.1', /carrier-grade/], ['169.254.169.254', /link-local/], ['0.0.0.0', /unspecified/],
    ['224.0.0.1', /multicast/], ['255.255.255.255', /reserved/],
    ['::1', /loopback/], ['::', /unspecified/], ['fc00::1', /unique local/], ['fd12:3456::1', /unique local/], ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/], ['ff02::1', /multicast/], ['::ffff:127.0.0.1', /IPv4-mapped.*loopback/], ['::ffff:7f00:1', /IPv4-mapped.*loopback/],
    ['::ffff:10.0.0.1', /IPv4-mapped.*private/], ['64:ff9b::a00:1', /NAT64.*private/], ['[::1]', /loopback/],
  ])('%s is not public', (address, why) => {
    expect(nonPublicReason(address)).toMatch(why);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('%s is public', (address) => {
    expect(nonPublicReason(address)).toBeNull();
  });
});

describe('parseTargetUrl / checkTargetUrl', () => {
  it.each([
    ['not a url', /absolute URL/], ['ftp://hooks.example.com/x', /https/], ['http://hooks.example.com/x', /SUBSCRIPTIONS_ALLOW_HTTP/],
    ['https://user:pw@hooks.example.com/', /user name or password/], ['https://127.0.0.1/hook', /127\.0\.0\.1 is a loopback/],
    ['https://10.0.0.7/hook', /private/], ['https://[::1]:8443/hook', /loopback/], ['https://[::ffff:127.0.0.1]/', /IPv4-mapped/],
    ['https://2130706433/', /127\.0\.0\.1 is a loopback/], ['https://0x7f.1/', /loopback/], ['https://169.254.169.254/latest/meta-data', /link-local/],
  ])('refuses %s', (url, why) => {
    expect(() => parseTargetUrl(url, strict)).toThrow(TargetRefused);
    expect(() => parseTargetUrl(url, strict)).toThrow(why);
  });

  it('allows http and private targets only when configured', () => {
    expect(parseTargetUrl('http://127.0.0.1:8080/h', { allowHttp: true, allowPrivate: true }).port).toBe('8080');
    expect(() => parseTargetUrl('http://127.0.0.1:8080/h', { allowHttp: true, allowPrivate: false })).toThrow(/loopback/);
  });

  it('checks every address a host name resolves to', async () => {
    const dns = resolver({ 'hooks.example.com': ['93.184.216.34'], 'sneaky.example.com': ['93.184.216.34', '10.0.0.5'], localhost: ['127.0.0.1', '::1'] });
    await expect(checkTargetUrl('https://hooks.example.com/h', strict, dns)).resolves.toBeInstanceOf(URL);
    await expect(checkTargetUrl('https://sneaky.example.com/h', strict, dns)).rejects.toThrow(/sneaky\.example\.com resolves to 10\.0\.0\.5, a private address/);
    await expect(checkTargetUrl('https://localhost/h', strict, dns)).rejects.toThrow(/localhost resolves to 127\.0\.0\.1, a loopback/);
    await expect(checkTargetUrl('https://nowhere.example/h', strict, dns)).rejects.toThrow(/does not resolve/);
    // Allowed private: no lookup needed at all.
    await expect(checkTargetUrl('https://localhost/h', { allowHttp: false, allowPrivate: true }, dns)).resolves.toBeInstanceOf(URL);
  });
});

describe('guardedLookup', () => {
  const dns = resolver({ 'public.example': ['93.184.216.34', '2606:2800:220:1::1'], 'inside.example': ['192.168.0.10'] });
  const call = (host: string, options: Record<string, unknown>, allowPrivate = false) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
      guardedLookup({ allowHttp: true, allowPrivate }, dns)(host, options as never, (err, address, family) => resolve({ err, address, family })));

  it('answers a public address in either calling convention', async () => {
    expect(await call('public.example', {})).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    expect((await call('public.example', { all: true })).address).toHaveLength(2);
    expect(await call('public.example', { family: 6 })).toEqual({ err: null, address: '2606:2800:220:1::1', family: 6 });
  });

  it('refuses a private answer at connect time unless allowed', async () => {
    const refused = await call('inside.example', { all: true });
    expect(refused.err).toBeInstanceOf(TargetRefused);
    expect(refused.err!.message).toMatch(/inside\.example resolves to 192\.168\.0\.10, a private address/);
    expect((await call('inside.example', {}, true)).address).toBe('192.168.0.10');
  });

  it('passes resolution failures through', async () => {
    expect((await call('missing.example', {})).err!.code).toBe('ENOTFOUND');
  });
});
