import { parseSyncarooWebhook } from './syncaroo-webhook.dto';

const BASE = 'https://app.syncaroo.com/api/v1';
const URL555 = `${BASE}/555/locations/61116b1ad9fa63170734b694/resources/61116c0bab789b6cc1feec23`;
const seedNew = () => ({
  connectionId: 555,
  webhookType: 'data',
  locationId: '11980',
  metaData: { syncarooId: '61116c0bab789b6cc1feec23', resourceType: 'meeting-room', resourceId: '', attributeType: 'resources', apiUrl: URL555 },
  action: 'new',
  actionCallback: `${URL555}/mapped`,
  hash: 'h',
});

describe('parseSyncarooWebhook', () => {
  it('accepts the seed example and keeps unknown members out of the result', () => {
    expect(parseSyncarooWebhook({ ...seedNew(), extra: true }, BASE)).toEqual({
      ok: true,
      webhook: {
        connectionId: 555, locationId: '11980', action: 'new', actionCallback: `${URL555}/mapped`,
        metaData: { syncarooId: '61116c0bab789b6cc1feec23', resourceType: 'meeting-room', resourceId: '', attributeType: 'resources', apiUrl: URL555 },
      },
    });
  });

  it('treats a missing resourceId, action and an empty actionCallback as absent', () => {
    const body = seedNew() as Record<string, any>;
    delete body.metaData.resourceId;
    delete body.action;
    body.actionCallback = '';
    const parsed = parseSyncarooWebhook(body, BASE);
    expect(parsed).toMatchObject({ ok: true, webhook: { action: null, actionCallback: null, metaData: { resourceId: '' } } });
  });

  const errorsOf = (body: unknown) => {
    const parsed = parseSyncarooWebhook(body, BASE);
    return parsed.ok ? [] : parsed.errors.map((e) => e.field);
  };

  it.each([
    ['connectionId as a string', { connectionId: '555' }, ['connectionId']],
    ['connectionId fractional', { connectionId: 555.5 }, ['connectionId']],
    ['connectionId negative', { connectionId: -1 }, ['connectionId']],
    ['locationId as a number', { locationId: 11980 }, ['locationId']],
    ['locationId empty', { locationId: '' }, ['locationId']],
    ['metaData missing', { metaData: undefined }, ['metaData']],
    ['metaData an array', { metaData: [] }, ['metaData']],
    ['action not a string', { action: 5 }, ['action']],
    ['actionCallback on another host', { actionCallback: 'https://evil.example/api/v1/555/x' }, ['actionCallback']],
    ['actionCallback not a string', { actionCallback: {} }, ['actionCallback']],
  ])('reports %s', (_label, patch, fields) => {
    expect(errorsOf({ ...seedNew(), ...patch })).toEqual(fields);
  });

  it.each([
    ['syncarooId', undefined], ['syncarooId', ''], ['resourceType', 7], ['attributeType', ''], ['attributeType', null],
    ['apiUrl', undefined], ['apiUrl', `${BASE}/556/x`], ['resourceId', 78430],
  ])('reports metaData.%s = %p', (member, value) => {
    const body = seedNew() as Record<string, any>;
    body.metaData[member] = value;
    expect(errorsOf(body)).toEqual([`metaData.${member}`]);
  });

  it('reports every problem at once and does not check URLs against an invalid connectionId', () => {
    expect(errorsOf({ connectionId: 'x', locationId: 1, metaData: { apiUrl: 'https://evil.example/' } })).toEqual([
      'connectionId', 'locationId', 'metaData.syncarooId', 'metaData.resourceType', 'metaData.attributeType',
    ]);
    expect(errorsOf([])).toEqual(['']);
    expect(errorsOf(null)).toEqual(['']);
  });
});
