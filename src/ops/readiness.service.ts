import { Injectable } from '@nestjs/common';

/**
 * Parts of the process that readiness depends on, besides the database (the worker loop): each module
 * reports a check here, so ops knows nothing of the modules themselves.
 */
@Injectable()
export class ReadinessService {
  private readonly checks = new Map<string, () => string | null>();

  /** `check` answers null when healthy, else why not. */
  register(name: string, check: () => string | null): void {
    this.checks.set(name, check);
  }

  problems(): string[] {
    return [...this.checks.entries()].flatMap(([name, check]) => {
      const why = check();
      return why ? [`${name}: ${why}`] : [];
    });
  }
}
