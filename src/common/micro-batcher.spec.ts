import { DomainError } from './domain.error';
import { MicroBatcher } from './micro-batcher';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

describe('MicroBatcher', () => {
  it('sends a lone item at once, then batches what queued while maxInFlight batches ran', async () => {
    const calls: number[][] = [];
    const gates: Array<ReturnType<typeof deferred<void>>> = [];
    const batcher = new MicroBatcher<number, string>(async (items) => {
      calls.push(items);
      const gate = deferred<void>();
      gates.push(gate);
      await gate.promise;
      return items.map((i) => `r${i}`);
    }, 2);
    const results = [1, 2, 3, 4, 5].map((i) => batcher.submit(i));
    expect(calls).toEqual([[1], [2]]);
    gates[0].resolve();
    await results[0];
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([[1], [2], [3, 4, 5]]);
    gates[1].resolve();
    gates[2].resolve();
    expect(await Promise.all(results)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
  });

  it('caps a batch at maxBatch items', async () => {
    const calls: number[][] = [];
    const first = deferred<void>();
    const batcher = new MicroBatcher<number, number>(async (items) => {
      calls.push(items);
      if (calls.length === 1) await first.promise;
      return items;
    }, 1, 2);
    const all = [1, 2, 3, 4, 5].map((i) => batcher.submit(i));
    first.resolve();
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4, 5]);
    expect(calls).toEqual([[1], [2, 3], [4, 5]]);
  });

  it('rejects every item of a failed batch and goes on with the next', async () => {
    let n = 0;
    const batcher = new MicroBatcher<number, number>(async (items) => {
      n += 1;
      if (n === 1) throw new Error('database down');
      return items.map((i) => i * 10);
    }, 1);
    const a = batcher.submit(1);
    const b = batcher.submit(2);
    await expect(a).rejects.toThrow('database down');
    expect(await b).toBe(20);
  });

  it('rejects when the batch answers a wrong number of results', async () => {
    const batcher = new MicroBatcher<number, number>(async () => [], 1);
    await expect(batcher.submit(1)).rejects.toThrow(/0 results for 1 items/);
  });

  it('past maxQueued waiting items, submit rejects at once with a 503 overloaded error, and takes items again once the queue drains', async () => {
    const gates: Array<ReturnType<typeof deferred<void>>> = [];
    const calls: number[][] = [];
    const batcher = new MicroBatcher<number, number>(async (items) => {
      calls.push(items);
      const gate = deferred<void>();
      gates.push(gate);
      await gate.promise;
      return items;
    }, 2, 500, 3);
    // Two in flight, three waiting: the bound is on waiting items.
    const taken = [1, 2, 3, 4, 5].map((i) => batcher.submit(i));
    expect(calls).toEqual([[1], [2]]);
    const shed = batcher.submit(6);
    let settled: unknown;
    shed.catch((e: unknown) => { settled = e; });
    await new Promise((r) => setImmediate(r));
    // Refused without waiting for a batch to end.
    expect(settled).toBeInstanceOf(DomainError);
    expect(settled).toMatchObject({ code: 'overloaded', status: 503 });
    await expect(batcher.submit(7)).rejects.toMatchObject({ code: 'overloaded' });
    expect(batcher.queued).toBe(3);

    gates[0].resolve();
    await taken[0];
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([[1], [2], [3, 4, 5]]);
    expect(batcher.queued).toBe(0);
    const later = batcher.submit(8);
    gates[1].resolve();
    gates[2].resolve();
    await new Promise((r) => setImmediate(r));
    gates[3].resolve();
    expect(await Promise.all([...taken, later])).toEqual([1, 2, 3, 4, 5, 8]);
    expect(calls.flat()).not.toContain(6);
    expect(calls.flat()).not.toContain(7);
  });

  it('rejects a maxQueued below 1', () => {
    expect(() => new MicroBatcher<number, number>(async (i) => i, 2, 500, 0)).toThrow(/maxQueued/);
  });
});
