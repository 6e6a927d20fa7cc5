/**
 * Group commit without a timer: an item is sent at once when fewer than `maxInFlight` batches are
 * running; otherwise it waits and goes with everything that queued up meanwhile, in one statement, as soon
 * as a running batch ends. So a lone request pays no added delay, and under load many requests share one
 * round trip and one commit. `run` answers one result per item, in order.
 */
export class MicroBatcher<T, R> {
  private queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;

  constructor(
    private readonly run: (items: T[]) => Promise<R[]>,
    private readonly maxInFlight = 2,
    private readonly maxBatch = 500,
  ) {}

  submit(item: T): Promise<R> {
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
