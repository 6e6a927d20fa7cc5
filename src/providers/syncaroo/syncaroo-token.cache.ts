export interface IssuedToken {
  token: string;
  expiresInMs: number;
}

/** Renew this long before the stated expiry (at most 60 s, at most a tenth of the lifetime). */
export function renewalMargin(lifetimeMs: number): number {
  return Math.min(60_000, lifetimeMs / 10);
}

/**
 * One platform token shared by every event: reused until shortly before it expires, renewed by one
 * request at a time (concurrent callers wait for the same renewal), dropped when the API says 401.
 */
export class TokenCache {
  private current: { token: string; renewAt: number } | null = null;
  private renewal: Promise<string> | null = null;

  constructor(
    private readonly issue: () => Promise<IssuedToken>,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<string> {
    if (this.current && this.now() < this.current.renewAt) return Promise.resolve(this.current.token);
    if (!this.renewal) {
      this.renewal = this.renew().finally(() => {
        this.renewal = null;
      });
    }
    return this.renewal;
  }

  /** The API rejected `token`: forget it unless a newer one already replaced it. */
  invalidate(token: string): void {
    if (this.current?.token === token) this.current = null;
  }

  private async renew(): Promise<string> {
    // The lifetime counts from when we asked, so a slow token endpoint cannot make us overshoot.
    const askedAt = this.now();
    const issued = await this.issue();
    this.current = { token: issued.token, renewAt: askedAt + issued.expiresInMs - renewalMargin(issued.expiresInMs) };
    return issued.token;
  }
}
