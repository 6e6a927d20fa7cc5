import { createHash } from 'node:crypto';
import type { EventStatus } from './entities/inbound-event.entity';
import type { InboundEvent } from './provider-handler';

export interface StoredEventRow {
  id: string;
  seq: string;
  provider: string;
  connection_id: string | null;
  event_type: string;
  status: EventStatus;
  partition_key: string;
  priority: number;
  payload: Record<string, unknown>;
  headers: Record<string, string>;
  received_at: Date;
  processed_at: Date | null;
  attempts: number;
  next_attempt_at: Date | null;
  last_error: string | null;
  claim_token?: string | null;
  hold_cause?: string | null;
  request_id?: string | null;
  /** The earlier event of the same item this one waits behind (admin views only). */
  waiting_for?: string | null;
}

/** partition_key is varchar(500): a longer key (long provider references) is replaced by its hash. */
export function boundedKey(key: string): string {
  return key.length <= 500 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export function toInboundEvent(row: StoredEventRow): InboundEvent {
  return {
    id: row.id,
    provider: row.provider as InboundEvent['provider'],
    eventType: row.event_type,
    connectionId: row.connection_id,
    partitionKey: row.partition_key,
    payload: row.payload,
    headers: row.headers ?? {},
    attempts: row.attempts,
    receivedAt: row.received_at,
  };
}
