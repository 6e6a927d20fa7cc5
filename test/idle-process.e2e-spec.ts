import { startTestApp, TestContext } from './support/test-app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What a WORKER=on process costs the database while nothing happens. The change notifier reads the feed's
 * sequence every 50 ms while anyone listens for change hints; with no active subscription and no open
 * long-poll or stream nobody should, so the sequence's block is not read at all.
 */
describe('an idle worker process', () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await startTestApp();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  /** Reads of the change feed's sequence so far (buffer hits + reads of its one block; nextval counts too). */
  const sequenceReads = async () => {
    const [row] = await ctx.db.query(`SELECT (blks_hit + blks_read)::int AS n FROM pg_statio_all_sequences WHERE relname = 'changes_seq_seq'`);
    return row.n as number;
  };

  it('with no subscription and no feed reader, does not poll the change feed (the notifier reads its sequence only for listeners)', async () => {
    await sleep(1500);
    const before = await sequenceReads();
    // Backends publish their statistics at most once a second (and idle ones later): a wide window.
    await sleep(4000);
    await sleep(1500);
    const idle = (await sequenceReads()) - before;
    expect(idle).toBeLessThan(5);

    // A long-poll is a listener: while it waits the sequence is read (so the same measure would see polling).
    const waiting = ctx.reader.get('/changes?wait=3').expect(200);
    const during = await sequenceReads();
    await waiting;
    await sleep(1500);
    expect((await sequenceReads()) - during).toBeGreaterThan(10);
  });
});
