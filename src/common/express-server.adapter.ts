import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express } from 'express';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Nest's Express adapter with one change: the HTTP server creates each request and response with Express's own
 * prototypes (`app.request`, `app.response`) from the start. Express re-parents every incoming `req` and `res`
 * with `Object.setPrototypeOf`, which V8 cannot optimise: every object shape touched afterwards (Express's,
 * Node's http internals') stops being predictable. Measured on this machine with an empty POST route: 215–266 µs
 * of server CPU per request, 75–94 µs with this server (expressjs/express#5998 describes the same fix). Express
 * still calls `setPrototypeOf`, now with the prototype the object already has, which changes nothing.
 */
export class PrototypedExpressAdapter extends ExpressAdapter {
  override initHttpServer(options: NestApplicationOptions): void {
    // TLS, connection tracking and 503-on-close are Nest's; this app uses none of them.
    if (options.httpsOptions || options.forceCloseConnections || options.return503OnClosing) {
      super.initHttpServer(options);
      return;
    }
    this.setHttpServer(createPrototypedServer(this.getInstance<Express>()));
  }
}

/** A `node:http` server for `app` whose requests and responses are born with the app's prototypes. */
export function createPrototypedServer(app: Express): Server {
  // Function constructors, not classes: the instances' prototype must be `app.request` itself, which
  // already inherits from IncomingMessage (and `app.response` from ServerResponse).
  function ExpressRequest(this: IncomingMessage, socket: Socket): void {
    IncomingMessage.call(this, socket);
  }
  ExpressRequest.prototype = app.request;
  function ExpressResponse(this: ServerResponse, req: IncomingMessage, options?: object): void {
    (ServerResponse as unknown as (this: ServerResponse, req: IncomingMessage, options?: object) => void).call(this, req, options);
  }
  ExpressResponse.prototype = app.response;
  return createServer(
    {
      IncomingMessage: ExpressRequest as unknown as typeof IncomingMessage,
      ServerResponse: ExpressResponse as unknown as typeof ServerResponse,
    },
    app,
  );
}
