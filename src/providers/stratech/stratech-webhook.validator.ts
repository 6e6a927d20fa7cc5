import type { FieldError } from '../../common/domain.error';
import { isLengthOfStay, isUnits, StratechMappingError, toCalendarDate } from './stratech.mapper';

// ---- Webhook bodies (seed 003): `{eventType, eventData}`, one URL for every event type. ----

export const STRATECH_EVENTS = {
  codeCreated: 'Authorization.code.created',
  revoked: 'Authorization.revoked',
  losCreated: 'PriceAvailability.los.created',
  losUpdated: 'PriceAvailability.los.updated',
} as const;

export interface StratechWebhookBody {
  eventType: string;
  eventData: Record<string, unknown>;
}

export interface CodeCreatedData {
  organizationReference: string;
  code: string;
  redirectUri?: string;
}

export interface RevokedData {
  organizationReference: string;
}

export interface LosCreatedData {
  organizationReference: string;
  resortReference: string;
  channelReference: string;
  key: string;
}

export interface LosUpdatedData {
  losKey: string;
  organizationReference: string;
  resortReference: string;
  channelReference: string;
  products: Array<{
    productId: string;
    losPriceAvailability: Array<{ arrivalDate: string; lengthOfStay: number; unitsAvailable: number }>;
  }>;
}

const MAX_REF = 200;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function requireRef(data: Record<string, unknown>, name: string, errors: FieldError[], max = MAX_REF): void {
  const v = data[name];
  const field = `eventData.${name}`;
  if (typeof v !== 'string' || v.length === 0) errors.push({ field, message: `${name} must be a non-empty string` });
  else if (v.length > max) errors.push({ field, message: `${name} must be at most ${max} characters` });
}

/** The envelope every Stratech event shares; errors name the member that is wrong. */
export function validateEnvelope(body: unknown): FieldError[] {
  if (!isObject(body)) return [{ field: 'body', message: 'body must be a JSON object' }];
  const errors: FieldError[] = [];
  if (typeof body.eventType !== 'string' || body.eventType.length === 0) errors.push({ field: 'eventType', message: 'eventType must be a non-empty string' });
  else if (body.eventType.length > 100) errors.push({ field: 'eventType', message: 'eventType must be at most 100 characters' });
  if (!isObject(body.eventData)) errors.push({ field: 'eventData', message: 'eventData must be an object' });
  return errors;
}

/**
 * Per-type checks of `eventData` for the four known types; unknown types pass (they are stored and
 * then ignored). Extra members are allowed: Stratech may add fields.
 */
export function validateEventData(eventType: string, data: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  switch (eventType) {
    case STRATECH_EVENTS.codeCreated:
      requireRef(data, 'organizationReference', errors);
      requireRef(data, 'code', errors, 4096);
      if (data.redirectUri !== undefined && data.redirectUri !== null && typeof data.redirectUri !== 'string') {
        errors.push({ field: 'eventData.redirectUri', message: 'redirectUri must be a string' });
      }
      break;
    case STRATECH_EVENTS.revoked:
      requireRef(data, 'organizationReference', errors);
      break;
    case STRATECH_EVENTS.losCreated:
      for (const name of ['organizationReference', 'resortReference', 'channelReference', 'key']) requireRef(data, name, errors);
      break;
    case STRATECH_EVENTS.losUpdated:
      for (const name of ['losKey', 'organizationReference', 'resortReference', 'channelReference']) requireRef(data, name, errors);
      validateProducts(data.products, errors);
      break;
  }
  return errors;
}

const MAX_LISTED_ERRORS = 20;

function validateProducts(products: unknown, errors: FieldError[]): void {
  if (!Array.isArray(products)) {
    errors.push({ field: 'eventData.products', message: 'products must be an array' });
    return;
  }
  const push = (field: string, message: string) => {
    if (errors.length < MAX_LISTED_ERRORS) errors.push({ field, message });
  };
  products.forEach((p, i) => {
    const at = `eventData.products[${i}]`;
    if (!isObject(p)) return push(at, 'product must be an object');
    if (typeof p.productId !== 'string' || p.productId.length === 0 || p.productId.length > MAX_REF) {
      push(`${at}.productId`, `productId must be a non-empty string of at most ${MAX_REF} characters`);
    }
    if (!Array.isArray(p.losPriceAvailability)) return push(`${at}.losPriceAvailability`, 'losPriceAvailability must be an array');
    p.losPriceAvailability.forEach((c: unknown, j: number) => {
      const cell = `${at}.losPriceAvailability[${j}]`;
      if (!isObject(c)) return push(cell, 'cell must be an object');
      try {
        toCalendarDate(c.arrivalDate);
      } catch (e) {
        push(`${cell}.arrivalDate`, e instanceof StratechMappingError ? e.message : 'arrivalDate is invalid');
      }
      if (!isLengthOfStay(c.lengthOfStay)) push(`${cell}.lengthOfStay`, 'lengthOfStay must be an integer from 1 to 32767');
      if (!isUnits(c.unitsAvailable)) push(`${cell}.unitsAvailable`, 'unitsAvailable must be an integer ≥ 0');
    });
  });
}
