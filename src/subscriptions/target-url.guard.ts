import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP, isIPv4 } from 'node:net';
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';

/**
 * Where a subscription may deliver (CONTRACT.md section 10): https unless SUBSCRIPTIONS_ALLOW_HTTP=true, and never
 * to a host that is or resolves to a loopback, private, link-local or otherwise non-public address unless
 * SUBSCRIPTIONS_ALLOW_PRIVATE=true. Checked at creation/PATCH (`checkTargetUrl`, 400 naming `url`) and again at
 * connect time of every delivery (`guardedLookup`: the address the socket connects to is the one checked, so a
 * DNS answer cannot change between the check and the connection).
 */
export interface TargetPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
}

/** Why a target is refused; `message` is safe to show and to store as a delivery's lastError. */
export class TargetRefused extends Error {
  override readonly name = 'TargetRefused';
  readonly code = 'ETARGETREFUSED';
}

const V4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'an unspecified ("this network") address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a carrier-grade NAT (shared) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'an IETF protocol assignment address'],
  ['192.0.2.0', 24, 'a documentation address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['198.51.100.0', 24, 'a documentation address'],
  ['203.0.113.0', 24, 'a documentation address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
];
const V6: Array<[string, number, string]> = [
  // ::/96 holds :: (unspecified), ::1 (loopback) and the deprecated IPv4-compatible addresses.
  ['::', 96, 'an unspecified, loopback or IPv4-compatible address'],
  ['100::', 64, 'a discard-only address'],
  ['2001:db8::', 32, 'a documentation address'],
  ['fc00::', 7, 'a unique local (private) address'],
  ['fe80::', 10, 'a link-local address'],
  ['fec0::', 10, 'a site-local address'],
  ['ff00::', 8, 'a multicast address'],
];

const rules = [...V4.map(([net, prefix, why]) => ({ net, prefix, why, family: 'ipv4' as const })), ...V6.map(([net, prefix, why]) => ({ net, prefix, why, family: 'ipv6' as const }))]
  .map((r) => {
    const list = new BlockList();
    list.addSubnet(r.net, r.prefix, r.family);
    return { ...r, list };
  });

/** The eight 16-bit groups of an IPv6 address (dotted-quad tail and `::` expanded); null if it is not one. */
function ipv6Groups(address: string): number[] | null {
  if (isIP(address) !== 6) return null;
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const groups = [...h, ...Array(fill).fill('0'), ...t].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

const v4FromGroups = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

/**
 * Null when `address` is a public unicast address; else what it is ("a loopback address"). IPv4-mapped
 * (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses are judged by the IPv4 address they carry.
 */
export function nonPublicReason(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIPv4(bare)) return rules.find((r) => r.family === 'ipv4' && r.list.check(bare, 'ipv4'))?.why ?? null;
  const g = ipv6Groups(bare);
  if (!g) return 'not an IP address';
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    const why = nonPublicReason(v4FromGroups(g[6], g[7]));
    return why ? `an IPv4-mapped IPv6 address of ${why}` : null;
  }
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    const why = nonPublicReason(v4FromGroups(g[6], g[7]));
    if (why) return `a NAT64 address of ${why}`;
  }
  const canonical = g.map((x) => x.toString(16)).join(':');
  return rules.find((r) => r.family === 'ipv6' && r.list.check(canonical, 'ipv6'))?.why ?? null;
}

/** The URL's host without IPv6 brackets. */
export function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

const refusedAddress = (host: string, address: string, why: string) =>
  new TargetRefused(host === address
    ? `${address} is ${why}; subscription targets must be public (SUBSCRIPTIONS_ALLOW_PRIVATE is false)`
    : `${host} resolves to ${address}, ${why}; subscription targets must be public (SUBSCRIPTIONS_ALLOW_PRIVATE is false)`);

/** The parts of the rule that need no DNS: an absolute http(s) URL, https unless allowed, no userinfo, a literal IP public. */
export function parseTargetUrl(raw: string, policy: TargetPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefused('url must be an absolute URL such as https://hooks.example.com/inventory');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TargetRefused('url must be an https URL');
  if (url.protocol === 'http:' && !policy.allowHttp) throw new TargetRefused('url must be https (SUBSCRIPTIONS_ALLOW_HTTP is false)');
  if (url.username || url.password) throw new TargetRefused('url must not carry a user name or password');
  const host = bareHost(url);
  if (!host) throw new TargetRefused('url must name a host');
  if (isIP(host) && !policy.allowPrivate) {
    const why = nonPublicReason(host);
    if (why) throw refusedAddress(host, host, why);
  }
  return url;
}

export type Resolver = (host: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/** Every address the host resolves to must be public (unless allowed). Throws TargetRefused with the reason. */
export async function checkTargetUrl(raw: string, policy: TargetPolicy, resolve: Resolver = systemResolver): Promise<URL> {
  const url = parseTargetUrl(raw, policy);
  const host = bareHost(url);
  if (isIP(host) || policy.allowPrivate) return url;
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(host);
  } catch {
    throw new TargetRefused(`url host ${host} does not resolve`);
  }
  if (addresses.length === 0) throw new TargetRefused(`url host ${host} does not resolve`);
  for (const a of addresses) {
    const why = nonPublicReason(a.address);
    if (why) throw refusedAddress(host, a.address, why);
  }
  return url;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for node:http(s) requests: resolves the host and refuses (ETARGETREFUSED) when any address it
 * resolves to is not public, so the socket can only connect to an address that passed the check.
 */
export function guardedLookup(policy: TargetPolicy, resolve: Resolver = systemResolver) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (all) => {
        const family = (options as { family?: number | string }).family;
        const wanted = family === 4 || family === 'IPv4' ? all.filter((a) => a.family === 4) : family === 6 || family === 'IPv6' ? all.filter((a) => a.family === 6) : all;
        if (wanted.length === 0) return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), '', undefined);
        if (!policy.allowPrivate) {
          for (const a of wanted) {
            const why = nonPublicReason(a.address);
            if (why) return callback(refusedAddress(hostname, a.address, why) as NodeJS.ErrnoException, '', undefined);
          }
        }
        if ((options as LookupAllOptions).all) return callback(null, wanted);
        return callback(null, wanted[0].address, wanted[0].family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', undefined),
    );
  };
}
