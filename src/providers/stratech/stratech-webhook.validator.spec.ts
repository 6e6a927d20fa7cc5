import { stratechPartitionKey } from './stratech-webhook.controller';
import { validateEnvelope, validateEventData } from './stratech-webhook.validator';

// The seed's examples (seed 003).
const SEED: Record<string, { eventType: string; eventData: Record<string, unknown> }> = {
  'stratech-authorization-code-created': {
    eventType: 'Authorization.code.created',
    eventData: { organizationReference: 'org_12345', code: 'authorizationCode', redirectUri: 'https://example.stratechbooking.nl/login-client-callback' },
  },
  'stratech-authorization-revoked': { eventType: 'Authorization.revoked', eventData: { organizationReference: 'org_12345' } },
  'stratech-los-created': {
    eventType: 'PriceAvailability.los.created',
    eventData: { organizationReference: 'org_12345', resortReference: 'rst_54321', channelReference: 'dc_jdy39', key: 'losKey' },
  },
  'stratech-los-updated': {
    eventType: 'PriceAvailability.los.updated',
    eventData: {
      losKey: 'losKey', organizationReference: 'org_12345', resortReference: 'rst_54321', channelReference: 'dc_jdy39',
      products: [{
        losPriceAvailability: [
          { arrivalDate: '2022-04-01T00:00:00+02:00', lengthOfStay: 1, unitsAvailable: 15 },
          { arrivalDate: '2022-04-01T00:00:00+02:00', lengthOfStay: 2, unitsAvailable: 15 },
          { arrivalDate: '2022-04-02T00:00:00+02:00', lengthOfStay: 1, unitsAvailable: 15 },
        ],
        productId: 'prod_46fphyv',
      }],
    },
  },
};
const fixture = (name: string) => SEED[name];
const fields = (errors: Array<{ field: string }>) => errors.map((e) => e.field);

describe('stratech webhook validator', () => {
  it.each(['stratech-authorization-code-created', 'stratech-authorization-revoked', 'stratech-los-created', 'stratech-los-updated'])(
    'accepts the seed example %s', (name) => {
      const body = fixture(name);
      expect(validateEnvelope(body)).toEqual([]);
      expect(validateEventData(body.eventType, body.eventData)).toEqual([]);
    });

  it.each([
    [null, 'body'], [[], 'body'], ['x', 'body'],
    [{ eventData: {} }, 'eventType'], [{ eventType: 3, eventData: {} }, 'eventType'], [{ eventType: '', eventData: {} }, 'eventType'],
    [{ eventType: 'X' }, 'eventData'], [{ eventType: 'X', eventData: [] }, 'eventData'], [{ eventType: 'X', eventData: null }, 'eventData'],
    [{ eventType: 'E'.repeat(101), eventData: {} }, 'eventType'],
  ])('envelope %j → error on %s', (body, field) => {
    expect(fields(validateEnvelope(body))).toContain(field);
  });

  it('unknown event types pass whatever their data', () => {
    expect(validateEventData('Something.new', { anything: 1 })).toEqual([]);
  });

  it('authorization: organizationReference and code required, redirectUri optional string', () => {
    expect(fields(validateEventData('Authorization.code.created', {}))).toEqual(['eventData.organizationReference', 'eventData.code']);
    expect(validateEventData('Authorization.code.created', { organizationReference: 'o', code: 'c' })).toEqual([]);
    expect(fields(validateEventData('Authorization.code.created', { organizationReference: 'o', code: 'c', redirectUri: 5 }))).toEqual(['eventData.redirectUri']);
    expect(fields(validateEventData('Authorization.revoked', { organizationReference: 7 }))).toEqual(['eventData.organizationReference']);
  });

  it('los.created: the four references', () => {
    expect(fields(validateEventData('PriceAvailability.los.created', { organizationReference: 'o', resortReference: 'r', channelReference: '' })))
      .toEqual(['eventData.channelReference', 'eventData.key']);
    expect(fields(validateEventData('PriceAvailability.los.created', { organizationReference: 'o'.repeat(201), resortReference: 'r', channelReference: 'c', key: 'k' })))
      .toEqual(['eventData.organizationReference']);
  });

  it('los.updated: products and every cell', () => {
    const base = { losKey: 'k', organizationReference: 'o', resortReference: 'r', channelReference: 'c' };
    expect(fields(validateEventData('PriceAvailability.los.updated', base))).toEqual(['eventData.products']);
    const errors = validateEventData('PriceAvailability.los.updated', {
      ...base,
      products: [
        { productId: 'p', losPriceAvailability: [
          { arrivalDate: '2022-04-01T00:00:00+02:00', lengthOfStay: 1, unitsAvailable: 1 },
          { arrivalDate: '2022-02-30', lengthOfStay: 0, unitsAvailable: -1 },
          { arrivalDate: '2022-04-01', lengthOfStay: 2, unitsAvailable: 1.5 },
        ] },
        { losPriceAvailability: 'x' },
        7,
      ],
    });
    expect(fields(errors)).toEqual([
      'eventData.products[0].losPriceAvailability[1].arrivalDate',
      'eventData.products[0].losPriceAvailability[1].lengthOfStay',
      'eventData.products[0].losPriceAvailability[1].unitsAvailable',
      'eventData.products[0].losPriceAvailability[2].unitsAvailable',
      'eventData.products[1].productId',
      'eventData.products[1].losPriceAvailability',
      'eventData.products[2]',
    ]);
  });

  it('partition keys: authorization per organization, LOS per (organization, resort, channel), unknown types apart', () => {
    expect(stratechPartitionKey(fixture('stratech-authorization-code-created'), 'h1')).toBe('stratech:org_12345:auth');
    expect(stratechPartitionKey(fixture('stratech-authorization-revoked'), 'h2')).toBe('stratech:org_12345:auth');
    expect(stratechPartitionKey(fixture('stratech-los-created'), 'h3')).toBe('stratech:org_12345:rst_54321:dc_jdy39');
    expect(stratechPartitionKey(fixture('stratech-los-updated'), 'h4')).toBe('stratech:org_12345:rst_54321:dc_jdy39');
    const unknown = { eventType: 'Something.new', eventData: { organizationReference: 'org_1' } };
    expect(stratechPartitionKey(unknown, 'aa')).toBe('stratech:org_1:other:aa');
    expect(stratechPartitionKey(unknown, 'bb')).not.toBe(stratechPartitionKey(unknown, 'aa'));
  });
});
