import { createHmac } from 'node:crypto';
import { syncarooHash, verifySyncarooHash } from './syncaroo-hash.verifier';

const SECRET = 'whsec-unit';
const body = {
  connectionId: 555,
  webhookType: 'data',
  locationId: '11980',
  metaData: { syncarooId: 'abc', resourceType: 'meeting-room', resourceId: '', attributeType: 'resources', apiUrl: 'https://app.syncaroo.com/api/v1/555/x' },
};
const expected = createHmac('sha256', SECRET).update(JSON.stringify(body)).digest('hex');

describe('Syncaroo hash', () => {
  it('is HMAC-SHA256 hex over JSON.stringify of the body without hash, in the order received', () => {
    expect(syncarooHash({ ...body, hash: 'ignored' }, SECRET)).toBe(expected);
    // The hash sits anywhere in the body; the rest keeps its order.
    const { metaData, ...head } = body;
    expect(syncarooHash({ ...head, hash: 'x', metaData }, SECRET)).toBe(expected);
  });

  it('verifies a correct hash', () => {
    expect(verifySyncarooHash({ ...body, hash: expected }, SECRET)).toBe(true);
  });

  it.each([
    ['missing', { ...body }],
    ['empty', { ...body, hash: '' }],
    ['not a string', { ...body, hash: 12345 }],
    ['upper-case hex', { ...body, hash: expected.toUpperCase() }],
    ['truncated', { ...body, hash: expected.slice(0, 63) }],
    ['wrong secret', { ...body, hash: createHmac('sha256', 'other').update(JSON.stringify(body)).digest('hex') }],
    ['body changed', { ...body, locationId: '11981', hash: expected }],
    ['members reordered', { locationId: body.locationId, connectionId: body.connectionId, webhookType: body.webhookType, metaData: body.metaData, hash: expected }],
  ])('rejects a %s hash', (_label, candidate) => {
    expect(verifySyncarooHash(candidate, SECRET)).toBe(false);
  });

  it.each([[null], [[]], ['text'], [42]])('rejects a non-object body %p', (candidate) => {
    expect(verifySyncarooHash(candidate, SECRET)).toBe(false);
  });
});
