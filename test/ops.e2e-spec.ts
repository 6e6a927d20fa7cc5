import type { Express } from 'express';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { startTestApp, TestContext } from './support/test-app';

describe('ops endpoints', () => {
  let ctx: TestContext;
  beforeAll(async () => { ctx = await startTestApp(); });
  afterAll(async () => { await ctx.close(); });

  it('GET /health answers 200 ok from the database', async () => {
    const res = await ctx.http().get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers['x-request-id']).toMatch(/.+/);
  });

  it('echoes a well-formed x-request-id and replaces a hostile one', async () => {
    const good = await ctx.http().get('/health').set('x-request-id', 'abc-123');
    expect(good.headers['x-request-id']).toBe('abc-123');
    const hostile = 'x'.repeat(300);
    const bad = await ctx.http().get('/health').set('x-request-id', hostile);
    expect(bad.headers['x-request-id']).not.toBe(hostile);
  });

  it('GET /metrics serves Prometheus text with the HTTP histogram', async () => {
    await ctx.http().get('/health');
    const res = await ctx.http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toContain('http_request_duration_seconds_bucket');
    expect(res.text).toContain('process_resident_memory_bytes');
  });

  it('its HTTP server creates each request and response with the Express app\'s prototypes (Express re-parents nothing per request)', async () => {
    const server = ctx.app.getHttpServer() as Server;
    const express = ctx.app.getHttpAdapter().getInstance() as Express;
    const seen: Array<[object, object]> = [];
    const record = (req: IncomingMessage, res: ServerResponse) => seen.push([Object.getPrototypeOf(req) as object, Object.getPrototypeOf(res) as object]);
    server.prependListener('request', record);
    try {
      await ctx.http().get('/health').expect(200);
      await ctx.http().post('/nope').send({ a: 1 }).expect(404);
    } finally {
      server.off('request', record);
    }
    expect(seen).toEqual([[express.request, express.response], [express.request, express.response]]);
  });

  it('serves the OpenAPI document and Swagger UI', async () => {
    const doc = await ctx.http().get('/docs-json').expect(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/health']));
    const ui = await ctx.http().get('/docs').redirects(1);
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });

  it('answers an unknown route with problem+json 404', async () => {
    const res = await ctx.http().get('/nope').expect(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, title: 'Not Found' });
  });
});
