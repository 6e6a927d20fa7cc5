import { ConnectionTokensService } from '../src/connections/connection-tokens.service';
import { ConnectionsService } from '../src/connections/connections.service';
import { handlerContext } from '../src/ingestion/handler-context';
import { LockmeApiClient } from '../src/providers/lockme/lockme-api.client';
import { addMessage, LockmeFake } from './fakes/lockme-fake.server';
import { startTestApp, TestContext } from './support/test-app';
import { waitFor } from './support/wait-for';

/**
 * A refresh that the provider answered with a rotated refresh token must be saved even when the handler that
 * started it gives up (its AbortSignal fires): the old refresh token is spent at the provider by then.
 */
describe('token refresh outlives the caller’s AbortSignal', () => {
  let fake: LockmeFake;
  let ctx: TestContext;
  let tokens: ConnectionTokensService;
  let connections: ConnectionsService;
  let api: LockmeApiClient;
  let nextMessageId = 52000;

  beforeAll(async () => {
    fake = await LockmeFake.start();
    fake.rooms = [{ roomid: 12, room: 'Pharaoh tomb', department: 3 }];
    // A short handler limit for the worker case; retries ~1 s apart (±20 %).
    ctx = await startTestApp({ ...fake.env, HANDLER_TIMEOUT_MS: '400', RETRY_SCHEDULE: '1,1,1,1,1,1' });
    tokens = ctx.app.get(ConnectionTokensService);
    connections = ctx.app.get(ConnectionsService);
    api = ctx.app.get(LockmeApiClient);
  });
  afterAll(async () => {
    await ctx?.close();
    await fake?.close();
  });
  afterEach(() => {
    fake.tokenDelayMs = 0;
  });

  /** A Lockme connection whose access token has expired: the next access refreshes. */
  async function expiredConnection() {
    const granted = fake.grant({ accessValid: false });
    const c = await ctx.newConnection({
      provider: 'lockme', externalId: undefined, credentials: { ...granted, expiresAt: '2020-01-01T00:00:00Z' },
    });
    await ctx.newLocation(c.id, { timezone: 'Europe/Warsaw' });
    return { id: c.id as string, path: new URL(c.webhookUrl).pathname, refreshToken: granted.refreshToken };
  }

  const refreshGrants = (since: number) =>
    fake.callsOf('token').slice(since).filter((c) => c.form?.grant_type === 'refresh_token').map((c) => [c.form!.refresh_token, c.status]);

  it('the caller’s signal fires while the provider is answering: the rotated refresh token is stored and used next', async () => {
    const c = await expiredConnection();
    const before = fake.callsOf('token').length;
    fake.tokenDelayMs = 800;

    // The caller runs the way the worker runs a handler: with an AbortSignal in the handler context.
    const controller = new AbortController();
    const caller = handlerContext.run({ eventId: 'test-event', signal: controller.signal },
      () => tokens.access(c.id, (rt) => api.refresh(rt)));
    const outcome = caller.then(() => 'resolved', (e: Error) => `rejected: ${e.message}`);
    // The token call has reached the provider (which rotates when it answers); the caller gives up.
    const [call] = await waitFor(async () => (fake.callsOf('token').length > before ? fake.callsOf('token').slice(before) : null));
    controller.abort();
    // The caller stops waiting (its handler is out of time)...
    expect(await outcome).toMatch(/^rejected: .*aborted/);
    // ...while the provider answers, and rotates.
    await waitFor(async () => call.status !== 0);
    expect(call.status).toBe(200);
    expect(fake.isRefreshTokenValid(c.refreshToken)).toBe(false);
    fake.tokenDelayMs = 0;

    // Without a signal: the refresh that was under way completes; its rotated refresh token is what is stored.
    const next = await tokens.access(c.id, (rt) => api.refresh(rt));
    const stored = await connections.getCredentials(c.id);
    expect(stored!.refreshToken).not.toBe(c.refreshToken);
    expect(fake.isRefreshTokenValid(stored!.refreshToken!)).toBe(true);
    expect(next.accessToken).toBe(stored!.accessToken);
    expect(refreshGrants(before)).toEqual([[c.refreshToken, 200]]);

    // The next refresh (the access token refused) presents the NEW refresh token; the old one is never sent twice.
    const again = await tokens.access(c.id, (rt) => api.refresh(rt), next.accessToken);
    expect(again.accessToken).not.toBe(next.accessToken);
    expect(refreshGrants(before)).toEqual([[c.refreshToken, 200], [stored!.refreshToken, 200]]);
  });

  it('a handler cut off at its time limit during the refresh: the event is retried with the rotated token and done', async () => {
    const c = await expiredConnection();
    const before = fake.callsOf('token').length;
    fake.tokenDelayMs = 1200; // longer than HANDLER_TIMEOUT_MS
    const messageId = String(nextMessageId++);
    fake.messages.set(messageId, addMessage(81001));
    const res = await ctx.http().post(c.path).set('X-MessageId', messageId).expect(202);
    // Once the provider has answered (and rotated), later token calls answer at once.
    const [call] = await waitFor(async () => (fake.callsOf('token').length > before ? fake.callsOf('token').slice(before) : null));
    await waitFor(async () => call.status !== 0);
    fake.tokenDelayMs = 0;
    const row = await waitFor(async () => {
      const [r] = await ctx.db.query(`SELECT status, attempts, last_error FROM inbound_events WHERE id = $1`, [res.body.eventId]);
      return ['done', 'held', 'dead', 'ignored'].includes(r.status) ? r : null;
    }, 20000);
    expect({ status: row.status, lastError: row.last_error }).toEqual({ status: 'done', lastError: null });
    expect(row.attempts).toBeGreaterThanOrEqual(2);
    expect(fake.acks(messageId)).toBe(1);
    // One refresh, with the original token; its rotated successor is stored and valid.
    expect(refreshGrants(before)).toEqual([[c.refreshToken, 200]]);
    const stored = await connections.getCredentials(c.id);
    expect(fake.isRefreshTokenValid(stored!.refreshToken!)).toBe(true);
  });
});
