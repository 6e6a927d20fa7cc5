import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The event a handler is running for, visible to everything it calls without threading a parameter
 * through every provider client: outbound HTTP (src/common/http-client.ts) aborts with `signal` when the
 * worker cuts the handler off at its timeout.
 */
export const handlerContext = new AsyncLocalStorage<{ eventId: string; signal: AbortSignal }>();
