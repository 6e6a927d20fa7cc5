import { overloaded } from './domain.error';

/** Waiting items past which `submit` refuses (the intake's INTAKE_MAX_QUEUED default). */
export const DEFAULT_MAX_QUEUED = 2000;

/**
 * Group commit without a timer: an item is sent at once when fewer than `maxInFlight` batches are
 * running; otherwise it waits and goes with everything that queued up meanwhile, in one statement, as soon
 * as a running batch ends. So a lone request pays no added delay, and under load many requests share one
 * round trip and one commit. `run` answers one result per item, in order.
 *
 * The wait is bounded: while `maxQueued` items are already waiting (the database is slow or stuck), `submit`
 * rejects at once with a DomainError `overloaded` (503 + Retry-After) instead of holding every caller, its
 * request and its body in memory for as long as the database takes.
 */
export class MicroBatcher<T, R> {
  private queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;

  constructor(
    private readonly run: (items: T[]) => Promise<R[]>,
    private readonly maxInFlight = 2,
    private readonly maxBatch = 500,
    private readonly maxQueued = DEFAULT_MAX_QUEUED,
  ) {
    if (!(maxQueued >= 1)) throw new RangeError(`maxQueued must be at least 1, got ${maxQueued}`);
  }

  /** Items waiting for a batch (not counting those in flight). */
  get queued(): number {
    return this.queue.length;
  }

  submit(item: T): Promise<R> {
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(overloaded('too many requests are waiting to be stored; nothing was stored, try again shortly'));
    }
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight += 1;
      void this.run(batch.map((b) => b.item))
        .then(
          (results) => {
            if (results.length !== batch.length) throw new Error(`batch answered ${results.length} results for ${batch.length} items`);
            batch.forEach((b, i) => b.resolve(results[i]));
          },
        )
        .catch((e: unknown) => batch.forEach((b) => b.reject(e)))
        .finally(() => {
          this.inFlight -= 1;
          this.pump();
        });
    }
  }
}
