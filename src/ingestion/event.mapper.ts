import { redactDeep } from '../common/redact';
import type { StoredEventRow } from './event-row';

/** The event payload as admins see it: the one redaction of logs and answers (src/common/redact.ts). */
export const redactSecrets = redactDeep;

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function toEventView(row: StoredEventRow) {
  return {
    id: row.id,
    provider: row.provider,
    connectionId: row.connection_id,
    eventType: row.event_type,
    status: row.status,
    receivedAt: iso(row.received_at)!,
    processedAt: iso(row.processed_at),
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' || row.status === 'failed' ? iso(row.next_attempt_at) : null,
    lastError: row.last_error,
    waitingFor: row.waiting_for ?? null,
  };
}

export function toEventDetailView(row: StoredEventRow) {
  return { ...toEventView(row), payload: redactSecrets(row.payload) as Record<string, unknown>, headers: row.headers ?? {}, requestId: row.request_id ?? null };
}
