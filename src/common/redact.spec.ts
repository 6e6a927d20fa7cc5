import { redactDeep, redactText, registerSecrets } from './redact';

describe('redactText', () => {
  it('hides URL secrets, bearer tokens, API keys and database passwords', () => {
    expect(redactText('POST /webhooks/stratech/s3cr3t-value?x=1 failed')).toBe('POST /webhooks/stratech/[redacted]?x=1 failed');
    expect(redactText('/webhooks/lockme/AbCdEf0123456789xyz')).toBe('/webhooks/lockme/[redacted]');
    expect(redactText('/connect/lockme/callback?code=abc&state=def')).toBe('/connect/lockme/callback?code=[redacted]&state=[redacted]');
    expect(redactText('Authorization: Bearer abc.def-ghi')).toBe('Authorization: Bearer [redacted]');
    expect(redactText('key isk_0123456789abcdef used')).toBe('key isk_[redacted] used');
    expect(redactText('postgres://postgres:pa55word@127.0.0.1:5432/db')).toBe('postgres://postgres:[redacted]@127.0.0.1:5432/db');
    expect(redactText('row ("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")')).toBe('row ("$argon2[redacted]")');
  });

  it('replaces registered values wherever they appear', () => {
    registerSecrets(['client-secret-for-redact-test', 'x', undefined]);
    expect(redactText('invalid_client client-secret-for-redact-test')).toBe('invalid_client [redacted]');
    expect(redactText('x marks')).toBe('x marks');
  });
});

describe('redactDeep', () => {
  it('replaces secret members and redacts nested strings', () => {
    expect(redactDeep({ req: { url: '/webhooks/stratech/abcdef', headers: { authorization: 'Bearer t' } }, code: 'c0de', n: 1 }))
      .toEqual({ req: { url: '/webhooks/stratech/[redacted]', headers: { authorization: '[redacted]' } }, code: '[redacted]', n: 1 });
    expect(redactDeep({ email: 'a@b.test', password: 'p4ssword-long', passwordHash: 'h', adminToken: 't', csrfToken: 'c', key_hash: 'k' }))
      .toEqual({ email: 'a@b.test', password: '[redacted]', passwordHash: '[redacted]', adminToken: '[redacted]', csrfToken: '[redacted]', key_hash: '[redacted]' });
    expect(redactDeep(new Error('GET /webhooks/lockme/abcdefgh failed'))).toEqual({ name: 'Error', message: 'GET /webhooks/lockme/[redacted] failed' });
  });
});
