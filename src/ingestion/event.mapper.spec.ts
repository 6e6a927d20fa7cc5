import { redactSecrets, toEventView } from './event.mapper';

describe('redactSecrets', () => {
  it('hides codes, hashes and tokens at any depth but keeps the rest', () => {
    const out = redactSecrets({ eventType: 'Authorization.code.created', eventData: { code: 'abc', organizationReference: 'org_1' }, hash: 'ff', list: [{ refresh_token: 'r' }] });
    expect(out).toEqual({ eventType: 'Authorization.code.created', eventData: { code: '[redacted]', organizationReference: 'org_1' }, hash: '[redacted]', list: [{ refresh_token: '[redacted]' }] });
  });
  it('passes scalars and null through', () => {
    expect(redactSecrets(null)).toBeNull();
    expect(redactSecrets(3)).toBe(3);
  });
});

describe('toEventView', () => {
  it('shows nextAttemptAt only while a retry is due', () => {
    const base = { id: 'e', seq: '1', provider: 'syncaroo', connection_id: null, event_type: 't', partition_key: 'p', priority: 5, payload: {}, headers: {},
      received_at: new Date('2026-01-01T00:00:00Z'), processed_at: null, attempts: 1, next_attempt_at: new Date('2026-01-01T00:01:00Z'), last_error: 'x' };
    expect(toEventView({ ...base, status: 'failed' }).nextAttemptAt).toBe('2026-01-01T00:01:00.000Z');
    expect(toEventView({ ...base, status: 'dead' }).nextAttemptAt).toBeNull();
  });
});
