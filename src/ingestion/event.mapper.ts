import type { StoredEventRow } from './event-row';

const SECRET_KEYS = /^(code|hash|access_?token|refresh_?token|client_?secret|password|secret|authorization|token)$/i;

export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET_KEYS.test(k) ? '[redacted]' : redactSecrets(v)]),
    );
  }
  return value;
}

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
