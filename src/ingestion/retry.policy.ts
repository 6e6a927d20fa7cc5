/**
 * The retry schedule lives here only: delay n (1-based attempt that failed) from the configured schedule,
 * ±20 % jitter so a provider outage does not come back as a thundering herd; a provider's Retry-After
 * stretches the delay, never shortens it. `null` means the schedule is spent: the event goes `dead`.
 */
export function nextRetryDelay(schedule: number[], attemptsMade: number, retryAfterMs?: number, random = Math.random): number | null {
  if (attemptsMade > schedule.length) return null;
  const base = schedule[attemptsMade - 1];
  const jittered = base * (0.8 + 0.4 * random());
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}

/** Parses a Retry-After header (seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
