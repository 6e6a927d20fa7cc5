import { Body, Controller, HttpCode, INestApplication, Module, Post, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express, Request } from 'express';
import type { AddressInfo } from 'node:net';
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { PrototypedExpressAdapter } from './express-server.adapter';

@Controller('echo')
class EchoController {
  @Post(':name')
  @HttpCode(202)
  echo(@Req() req: Request, @Body() body: unknown): object {
    return { name: req.params.name, body, hasApp: typeof req.app?.get === 'function', ip: req.ip };
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

interface Arrival { req: object | null; res: object | null }

async function start(adapter: ExpressAdapter): Promise<{ app: INestApplication; url: string; arrivals: Arrival[]; express: Express }> {
  const app = await NestFactory.create(EchoModule, adapter, { logger: false });
  await app.init();
  const server = app.getHttpServer() as Server;
  const arrivals: Arrival[] = [];
  // Runs before Express's own handler: the objects as the HTTP server created them.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    arrivals.push({ req: Object.getPrototypeOf(req) as object, res: Object.getPrototypeOf(res) as object });
  });
  await app.listen(0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, arrivals, express: adapter.getInstance<Express>() };
}

describe('PrototypedExpressAdapter', () => {
  let running: INestApplication | null = null;
  afterEach(async () => {
    await running?.close();
    running = null;
  });

  it('serves requests and responses created with the Express app\'s own prototypes', async () => {
    const { app, url, arrivals, express } = await start(new PrototypedExpressAdapter());
    running = app;
    for (const name of ['a', 'b']) {
      const res = await fetch(`${url}/echo/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: name }) });
      expect(res.status).toBe(202);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ name, body: { n: name }, hasApp: true, ip: '127.0.0.1' });
    }
    expect(arrivals).toHaveLength(2);
    for (const a of arrivals) {
      expect(a.req).toBe(express.request);
      expect(a.res).toBe(express.response);
    }
  });

  it('(for comparison) Nest\'s own adapter gets plain node objects, which Express then re-parents on every request', async () => {
    const { app, url, arrivals, express } = await start(new ExpressAdapter());
    running = app;
    const res = await fetch(`${url}/echo/c`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(202);
    expect(arrivals).toHaveLength(1);
    expect(arrivals[0].req).toBe(IncomingMessage.prototype);
    expect(arrivals[0].req).not.toBe(express.request);
  });
});
