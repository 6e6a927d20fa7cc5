/**
 * The sleep of a polling loop that a poke cuts short. A poke while the loop is awake is kept: its next sleep
 * returns at once (after yielding to timers and I/O, so a steady stream of pokes cannot starve them). The loop
 * calls `clear()` just before it looks for work, so a poke that arrives during the look is not lost.
 */
export class Wakeup {
  private wake: (() => void) | null = null;
  private woken = false;

  poke(): void {
    if (this.wake) this.wake();
    else this.woken = true;
  }

  clear(): void {
    this.woken = false;
  }

  /** Resolves on the next poke (at once if one came since `clear`) or after `ms`. */
  sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return new Promise((resolve) => setImmediate(resolve));
    }
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }
}
