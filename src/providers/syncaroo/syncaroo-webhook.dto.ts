import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { FieldError } from '../../common/domain.error';
import { checkSyncarooUrl } from './syncaroo-url.guard';

/** The attribute types this server syncs; anything else is accepted and then `ignored`. */
export const SYNCED_ATTRIBUTE_TYPES = ['resources', 'availability', 'locations', 'bookings', 'rates'] as const;
export type SyncedAttributeType = (typeof SYNCED_ATTRIBUTE_TYPES)[number];

export class SyncarooWebhookMetaDataDto {
  @ApiProperty({ description: 'unique id of the object in Syncaroo (resource, booking, location)', example: '61116c0bab789b6cc1feec23' })
  syncarooId: string;
  @ApiProperty({ example: 'meeting-room', description: 'meeting-room, hot-desk, fixed-desk (or dedicated-desk), office, floor' })
  resourceType: string;
  @ApiPropertyOptional({ description: 'our resource id from mapping; empty for action "new"', example: '' })
  resourceId?: string;
  @ApiProperty({ enum: SYNCED_ATTRIBUTE_TYPES, description: 'other values are accepted and ignored' })
  attributeType: string;
  @ApiProperty({ description: 'must start with {SYNCAROO_API_URL}/{connectionId}/', example: 'https://app.syncaroo.com/api/v1/555/locations/61116b1ad9fa63170734b694/resources/61116c0bab789b6cc1feec23' })
  apiUrl: string;
}

/** For the OpenAPI document; validation is `parseSyncarooWebhook` (it runs after the hash check and needs the config). */
export class SyncarooWebhookDto {
  @ApiProperty({ example: 555, description: 'Syncaroo connectionId (integer) = the connection externalId' }) connectionId: number;
  @ApiPropertyOptional({ example: 'data' }) webhookType?: string;
  @ApiProperty({ example: '11980', description: 'our location id, mapped to that connection' }) locationId: string;
  @ApiProperty({ type: SyncarooWebhookMetaDataDto }) metaData: SyncarooWebhookMetaDataDto;
  @ApiPropertyOptional({ example: 'new', description: '"new" (we create the id and POST it to actionCallback) or "unmapped" (resource removed)' })
  action?: string;
  @ApiPropertyOptional({ description: 'must start with {SYNCAROO_API_URL}/{connectionId}/' }) actionCallback?: string;
  @ApiProperty({ description: 'lowercase hex HMAC-SHA256 (key SYNCAROO_WEBHOOK_SECRET) of JSON.stringify(body without hash)' }) hash: string;
}

export interface SyncarooWebhook {
  connectionId: number;
  locationId: string;
  metaData: {
    syncarooId: string;
    resourceType: string;
    /** '' when absent */
    resourceId: string;
    attributeType: string;
    /** normalised by the URL guard */
    apiUrl: string;
  };
  action: string | null;
  /** normalised by the URL guard; null when absent or empty */
  actionCallback: string | null;
}

export type ParsedWebhook = { ok: true; webhook: SyncarooWebhook } | { ok: false; errors: FieldError[] };

const MAX_ID = 200;
const MAX_WORD = 100;
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Shape check of CONTRACT.md section 4 plus the URL guard; unknown extra members are allowed (Syncaroo
 * may add fields, and the body is signed as a whole). Pure, so the handler re-checks stored events too.
 */
export function parseSyncarooWebhook(body: unknown, apiBase: string): ParsedWebhook {
  const errors: FieldError[] = [];
  const err = (field: string, message: string) => errors.push({ field, message });
  if (!isObject(body)) return { ok: false, errors: [{ field: '', message: 'body must be a JSON object' }] };

  const { connectionId, locationId, metaData, action, actionCallback } = body;
  const validConnection = typeof connectionId === 'number' && Number.isSafeInteger(connectionId) && connectionId >= 0;
  if (!validConnection) err('connectionId', 'connectionId must be a non-negative integer');
  const text = (field: string, value: unknown, max: number, allowEmpty = false): string | null => {
    if (typeof value !== 'string') return err(field, `${field} must be a string`), null;
    if (!allowEmpty && value.length === 0) return err(field, `${field} must not be empty`), null;
    if (value.length > max) return err(field, `${field} must be at most ${max} characters`), null;
    return value;
  };
  const location = text('locationId', locationId, MAX_ID);
  const url = (field: string, value: unknown): string | null => {
    if (!validConnection) return null; // the prefix depends on it; connectionId is already reported
    const check = checkSyncarooUrl(value, apiBase, connectionId as number);
    if (!check.ok) return err(field, `${field} ${check.reason}`), null;
    return check.url;
  };

  let meta: SyncarooWebhook['metaData'] | null = null;
  if (!isObject(metaData)) err('metaData', 'metaData must be an object');
  else {
    const syncarooId = text('metaData.syncarooId', metaData.syncarooId, MAX_ID);
    const resourceType = text('metaData.resourceType', metaData.resourceType, MAX_WORD, true);
    const resourceId = metaData.resourceId === undefined || metaData.resourceId === null ? '' : text('metaData.resourceId', metaData.resourceId, MAX_ID, true);
    const attributeType = text('metaData.attributeType', metaData.attributeType, MAX_WORD);
    const apiUrl = typeof metaData.apiUrl === 'string' ? url('metaData.apiUrl', metaData.apiUrl) : (err('metaData.apiUrl', 'metaData.apiUrl must be a string'), null);
    if (syncarooId !== null && resourceType !== null && resourceId !== null && attributeType !== null && apiUrl !== null) {
      meta = { syncarooId, resourceType, resourceId, attributeType, apiUrl };
    }
  }
  let act: string | null = null;
  if (action !== undefined && action !== null) act = text('action', action, MAX_WORD, true);
  // An empty callback is treated as absent: Syncaroo sends empty strings for unset ids too.
  let callback: string | null = null;
  if (actionCallback !== undefined && actionCallback !== null && actionCallback !== '') {
    callback = typeof actionCallback === 'string' ? url('actionCallback', actionCallback) : (err('actionCallback', 'actionCallback must be a string'), null);
  }

  if (errors.length > 0 || !meta || location === null) return { ok: false, errors };
  return { ok: true, webhook: { connectionId: connectionId as number, locationId: location, metaData: meta, action: act || null, actionCallback: callback } };
}
