import { httpRequest } from '../../src/common/http-client';
import { HandlerRegistry } from '../../src/ingestion/handler.registry';
import { IntakeService } from '../../src/ingestion/intake.service';
import { done, HandleResult, held, InboundEvent, IntakeEnvelope, ProviderHandler, PRIORITY, RetryableError } from '../../src/ingestion/provider-handler';
import type { TestContext } from './test-app';

export interface Call {
  eventId: string;
  partitionKey: string;
  n: number;
  attempt: number;
  app: string;
  startedAt: number;
  endedAt?: number;
}

/**
 * A provider handler for ingestion tests. Its behaviour per event is scripted through the payload:
 * `{n, failTimes?, retryAfterMs?, hold?, holdCause?, sleepMs?, hangOnFirstAttempt?, fetchUrl?, timeoutMs?}`; `gates` lets a
 * test keep a partition busy until it opens the gate; `holdGates` stops a handler between deciding to hold
 * and answering `held` (the window of a lost wake-up).
 */
export class ScriptedHandler implements ProviderHandler {
  readonly calls: Call[] = [];
  readonly gates = new Map<number, Promise<void>>();
  readonly holdGates = new Map<number, { reached: () => void; open: Promise<void> }>();
  holdOpen = new Set<number>();

  constructor(readonly provider: any, private readonly app: string, private readonly shared?: ScriptedHandler) {}

  /** `{timeoutMs}` in the payload: this event may run that long (ProviderHandler.timeoutFor). */
  timeoutFor(event: InboundEvent): number | undefined {
    return (event.payload as { timeoutMs?: number }).timeoutMs;
  }

  async handle(event: InboundEvent): Promise<HandleResult> {
    const owner = this.shared ?? this;
    const p = event.payload as Script;
    const call: Call = { eventId: event.id, partitionKey: event.partitionKey, n: p.n, attempt: event.attempts, app: this.app, startedAt: performance.now() };
    owner.calls.push(call);
    try {
      return await this.run(owner, event, p);
    } finally {
      call.endedAt = performance.now();
    }
  }

  private async run(
    owner: ScriptedHandler,
    event: InboundEvent,
    p: Script,
  ): Promise<HandleResult> {
    const gate = owner.gates.get(p.n);
    if (gate) await gate;
    if (p.sleepMs) await new Promise((r) => setTimeout(r, p.sleepMs));
    if (p.fetchUrl) await httpRequest(p.fetchUrl, { timeoutMs: 60_000 });
    if (p.hangOnFirstAttempt && event.attempts === 1) await new Promise(() => undefined);
    if (p.hold && !owner.holdOpen.has(p.n)) {
      const gate = owner.holdGates.get(p.n);
      if (gate) {
        owner.holdGates.delete(p.n);
        gate.reached();
        await gate.open;
      }
      return (held as (r: string, c?: string, cause?: string) => HandleResult)('waiting for the test to release it', undefined, p.holdCause);
    }
    if (p.failTimes && event.attempts <= p.failTimes) {
      if (p.retryAfterMs !== undefined) throw new RetryableError(`scripted failure ${event.attempts}`, p.retryAfterMs);
      throw new Error(`scripted failure ${event.attempts}`);
    }
    return done();
  }
}

interface Script {
  n: number;
  failTimes?: number;
  retryAfterMs?: number;
  hold?: boolean;
  holdCause?: string;
  sleepMs?: number;
  hangOnFirstAttempt?: boolean;
  fetchUrl?: string;
}

export function install(ctx: TestContext, handler: ProviderHandler): void {
  ctx.app.get(HandlerRegistry).register(handler);
}

export function envelope(provider: string, n: number, partition: string, extra: Partial<IntakeEnvelope> & Record<string, unknown> = {}): IntakeEnvelope {
  const { payloadExtra, ...rest } = extra as { payloadExtra?: Record<string, unknown> } & Partial<IntakeEnvelope>;
  return {
    provider: provider as IntakeEnvelope['provider'],
    eventType: 'test.event',
    connectionId: null,
    partitionKey: partition,
    priority: PRIORITY.normal,
    payload: { n, ...(payloadExtra ?? {}) },
    ...rest,
  };
}

export function intake(ctx: TestContext): IntakeService {
  return ctx.app.get(IntakeService);
}

/** An event's queue state, read straight from its row. */
export async function statusOf(ctx: TestContext, id: string): Promise<{ status: string; attempts: number; last_error: string | null }> {
  const [row] = await ctx.db.query('SELECT status, attempts, last_error FROM inbound_events WHERE id = $1', [id]);
  return row;
}
