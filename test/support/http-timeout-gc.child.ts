/*
 * Run as `node --expose-gc -r ./test/support/swc-register.cjs test/support/http-timeout-gc.child.ts`
 * (src/common/http-client.spec.ts does): one outbound call, inside a handler context whose signal never
 * fires, to a server on 127.0.0.1 that accepts the request and never answers, with garbage collections
 * while it waits. Prints one JSON line: how the call ended and after how long. Exits by itself after 20 s.
 */
import { createServer, Socket } from 'node:net';
import { httpRequest } from '../../src/common/http-client';
import { handlerContext } from '../../src/ingestion/handler-context';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  process.stdout.write(`${JSON.stringify({ outcome: 'no-gc' })}\n`);
  process.exit(2);
}

const sockets: Socket[] = [];
const server = createServer((socket) => {
  sockets.push(socket); // reads the request, answers nothing, never closes
  socket.on('error', () => undefined);
});

const giveUp = setTimeout(() => {
  process.stdout.write(`${JSON.stringify({ outcome: 'pending', afterMs: 20_000 })}\n`);
  process.exit(1);
}, 20_000);

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  // The worker's handler signal: alive (strongly held here) for the whole run, and never aborted.
  const handler = new AbortController();
  const started = Date.now();
  const collector = setInterval(() => gc(), 50);
  void handlerContext
    .run({ eventId: 'gc-test', signal: handler.signal }, () => httpRequest(`http://127.0.0.1:${port}/never?token=x`, { timeoutMs: 300 }))
    .then(
      (res) => ({ outcome: 'resolved', status: res.status }),
      (e: Error) => ({ outcome: 'rejected', name: e.constructor.name, message: e.message }),
    )
    .then((result) => {
      clearInterval(collector);
      clearTimeout(giveUp);
      process.stdout.write(`${JSON.stringify({ ...result, afterMs: Date.now() - started, handlerAborted: handler.signal.aborted })}\n`);
      for (const s of sockets) s.destroy();
      server.close();
      process.exit(0);
    });
});
