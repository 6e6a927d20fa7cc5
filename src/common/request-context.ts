import { AsyncLocalStorage } from 'node:async_hooks';

/** The HTTP request being served, for code that has no request object (intake stores its id with the event). */
export const requestContext = new AsyncLocalStorage<{ requestId: string }>();
