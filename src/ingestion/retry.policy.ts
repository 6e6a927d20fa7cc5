/**
 * The retry schedule lives here only: delay n (1-based attempt that failed) from the configured schedule,
 * ±20 % jitter so a provider outage does not come back as a thundering herd; a provider's Retry-After
 * stretches the delay, never shortens it, and is cut to the schedule's last step. `null` means the schedule is spent: the event goes `dead`.
 */
export function nextRetryDelay(schedule: number[], attemptsMade: number, retryAfterMs?: number, random = Math.random): number | null {
  if (attemptsMade > schedule.length) return null;
  const base = schedule[attemptsMade - 1];
  const jittered = base * (0.8 + 0.4 * random());
  // A provider's wish, not an order: never past the schedule's last step (a huge value would park the item).
  const asked = Math.min(Number.isFinite(retryAfterMs) ? (retryAfterMs as number) : 0, schedule[schedule.length - 1]);
  return Math.round(Math.max(jittered, asked));
}

/** Parses a Retry-After header (seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
