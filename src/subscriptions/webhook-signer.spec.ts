import { createHmac } from 'node:crypto';
import { generateSecret, secretKey, sign, signatureHeader, webhookHeaders } from './webhook-signer';

describe('Standard Webhooks signer', () => {
  // The spec's published vector (standard-webhooks reference libraries, "sign function works").
  const vector = {
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    timestamp: 1614265330,
    body: '{"test": 2432232314}',
    signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  };

  it('reproduces the spec test vector', () => {
    expect(sign(vector.secret, vector.id, vector.timestamp, vector.body)).toBe(vector.signature);
    // The prefix is optional in the spec's libraries.
    expect(sign(vector.secret.slice('whsec_'.length), vector.id, vector.timestamp, vector.body)).toBe(vector.signature);
  });

  it('generates whsec_ + base64 of at least 24 random bytes, different each time', () => {
    const a = generateSecret();
    const b = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(secretKey(a).length).toBeGreaterThanOrEqual(24);
    expect(a).not.toBe(b);
  });

  it('signs with every secret, space-separated, each verifiable on its own', () => {
    const old = generateSecret();
    const current = generateSecret();
    const header = signatureHeader([current, old], 'msg_1', 1700000000, '{"a":1}');
    const parts = header.split(' ');
    expect(parts).toHaveLength(2);
    for (const [i, secret] of [current, old].entries()) {
      const independent = createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update('msg_1.1700000000.{"a":1}').digest('base64');
      expect(parts[i]).toBe(`v1,${independent}`);
    }
  });

  it('puts a fresh Unix-seconds timestamp in the headers and signs over it', () => {
    const h = webhookHeaders([vector.secret], vector.id, vector.body, vector.timestamp * 1000 + 999);
    expect(h).toEqual({ 'webhook-id': vector.id, 'webhook-timestamp': String(vector.timestamp), 'webhook-signature': vector.signature });
  });

  it('refuses a secret that is not base64', () => {
    expect(() => sign('whsec_not base64!', 'msg', 1, '')).toThrow(/base64/);
    expect(() => signatureHeader([], 'msg', 1, '')).toThrow();
  });
});
